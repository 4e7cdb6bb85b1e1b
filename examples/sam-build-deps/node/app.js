// ms is not in the Lambda runtime: it comes from package.json through `sam build` (npm).
const ms = require("ms");

exports.handler = async () => ({ runtime: "node", dependency: "ms", twoDays: ms("2 days") });
