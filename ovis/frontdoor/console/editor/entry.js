// The console's editor bundle: what static/fn_code.js and fn_test.js import from
// /console/static/codemirror.js. basicSetup brings line numbers, bracket matching, search
// (Ctrl-F), history, folding and autocompletion; indentWithTab makes Tab indent.
export { basicSetup } from "codemirror";
export { EditorView, keymap } from "@codemirror/view";
export { EditorState, Compartment } from "@codemirror/state";
export { indentWithTab } from "@codemirror/commands";
export { indentUnit } from "@codemirror/language";
export { python } from "@codemirror/lang-python";
export { javascript } from "@codemirror/lang-javascript";
export { json } from "@codemirror/lang-json";
