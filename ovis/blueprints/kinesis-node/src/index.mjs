// A Kinesis stream processor: each record's data is base64 JSON. Logs one summary line per
// batch ({"records", "total", "keys"}: the sum of METRIC_FIELD over the batch). A record that is
// not JSON stops the batch there: it is reported in batchItemFailures (its sequence number), so
// the stream retries from it and records after it are not processed twice.
export const handler = async (event) => {
  const field = process.env.METRIC_FIELD || "amount";
  let total = 0;
  const keys = [];
  for (const record of event.Records || []) {
    const { data, partitionKey, sequenceNumber } = record.kinesis;
    let doc;
    try {
      doc = JSON.parse(Buffer.from(data, "base64").toString("utf8"));
    } catch (e) {
      console.log(JSON.stringify({ failed: sequenceNumber, error: String(e) }));
      return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
    }
    total += Number(doc[field] || 0);
    keys.push(partitionKey);
  }
  console.log(JSON.stringify({ summary: { records: keys.length, total, keys } }));
  return { batchItemFailures: [] };
};
