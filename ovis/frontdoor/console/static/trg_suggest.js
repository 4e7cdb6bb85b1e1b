// Suggestions for the Triggers form's source field (a <datalist>): names of the chosen kind that
// contain what is typed. SQS is asked with its own filter (QueueNamePrefix); the others have
// none, so their first page is filtered here: a hint, never a full scan of a large account.
// Asked 200 ms after the last keystroke; an answer that a later one has overtaken is dropped.

import { h, call } from "./core.js";

const tail = (arn) => String(arn).split(":").pop();
const LISTS = {
  sqs: async (typed) => ((await call("sqs", "ListQueues", { QueueNamePrefix: typed || undefined, MaxResults: 50 })).QueueUrls ?? [])
    .map((u) => u.split("/").pop()),
  kinesis: async () => (await call("kinesis", "ListStreams", { Limit: 100 })).StreamNames ?? [],
  sns: async () => ((await call("sns", "ListTopics", {})).Topics ?? []).map((t) => tail(t.TopicArn)),
  s3: async () => ((await call("s3", "ListBuckets", {})).Buckets ?? []).map((b) => b.Name),
};

// Fills `list` for `input` as the user types; kindOf() names the kind chosen now.
export function suggestSources(input, list, kindOf) {
  let timer = 0, asked = 0;
  const run = async () => {
    const kind = kindOf(), typed = input.value.trim(), mine = ++asked;
    const names = typed.startsWith("arn:") || !LISTS[kind] ? [] : await LISTS[kind](typed).catch(() => []);
    if (mine !== asked) return;
    list.replaceChildren(...names.filter((n) => n.includes(typed)).slice(0, 50).map((n) => h("option", { value: n })));
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(run, 200); };
  input.addEventListener("input", soon);
  input.addEventListener("focus", soon);
  return soon;
}
