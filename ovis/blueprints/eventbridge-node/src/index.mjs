// An EventBridge rule target: logs each OrderPlaced event's order as one JSON line, flagging
// orders whose total is at least MIN_TOTAL as "large".
export const handler = async (event) => {
  const order = event.detail || {};
  const min = Number(process.env.MIN_TOTAL || 0);
  const line = {
    order: order.id,
    total: order.total,
    large: Number(order.total || 0) >= min,
    source: event.source,
    type: event["detail-type"],
  };
  console.log("ORDER " + JSON.stringify(line));
  return line;
};
