// Response streaming: writes CHUNKS lines ("chunk 1 of N" ...), each as soon as it is ready,
// with a content type set through HttpResponseStream.from. The ?chunks= query parameter
// overrides CHUNKS (at most 100).
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const asked = Number((event.queryStringParameters || {}).chunks || process.env.CHUNKS || 5);
  const chunks = Math.max(1, Math.min(100, asked || 5));
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
  for (let i = 1; i <= chunks; i++) {
    stream.write(`chunk ${i} of ${chunks}\n`);
    await pause(20);
  }
  stream.end();
});
