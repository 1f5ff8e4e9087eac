/**
 * Let queued messages run. An onnxruntime run can settle in microtasks alone, so without this a
 * worker would not see a newer request's `cancel` until every batch is done. A MessageChannel
 * task, not setTimeout: browsers clamp nested timeouts to 4 ms (Node to 1 ms), which with batches
 * of a few milliseconds (sgpt-nano) was a large share of a document set's time.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
