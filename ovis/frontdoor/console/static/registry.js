// Where console modules register what they add, so adding a page or a function tab is one new
// module and one import line in app.js.
//
// registerPage({ path, label?, order?, render(parts) }): the page for "#/<path>/...", given the
//   hash's parts after the path ("#/queues/q1" -> render(["q1"])); with a label it appears in
//   the top navigation, sorted by order.
// registerFunctionTab({ id, label, order, render(panel, cfg, fn, rest) }): a tab of the function
//   page ("#/functions/NAME/<id>/..."), given its panel element, the function's configuration,
//   the whole GetFunction answer ({Configuration, Tags}) and the hash's parts after the tab id;
//   tabs are shown sorted by order.
// registerConfigSection({ id, label, order, render(panel, cfg, fn) }): a section of the
//   Configuration tab ("#/functions/NAME/configuration/<id>"), listed in its side navigation.

export const pages = new Map();
export const functionTabs = [];
export const configSections = [];

export function registerPage(page) {
  if (pages.has(page.path)) throw new Error(`page ${page.path} registered twice`);
  pages.set(page.path, { order: 100, ...page });
}

export function registerFunctionTab(tab) {
  if (functionTabs.some((t) => t.id === tab.id)) throw new Error(`tab ${tab.id} registered twice`);
  functionTabs.push({ order: 100, ...tab });
  functionTabs.sort((a, b) => a.order - b.order);
}

export function registerConfigSection(section) {
  if (configSections.some((s) => s.id === section.id)) throw new Error(`section ${section.id} registered twice`);
  configSections.push({ order: 100, ...section });
  configSections.sort((a, b) => a.order - b.order);
}
