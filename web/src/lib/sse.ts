// Server-sent events with the session cookie (same origin), named handlers, and reconnection
// when the browser gives up (an HTTP error closes an EventSource for good).

export interface SseHandlers {
  [event: string]: (data: string, e: MessageEvent) => void;
}

/** Subscribes; returns the function that closes the stream. `url()` is asked again on every
 * reconnection (so it can carry an offset). */
export function subscribe(url: () => string, handlers: SseHandlers, onState?: (open: boolean) => void): () => void {
  let es: EventSource | null = null;
  let closed = false;
  let retry = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    if (closed) return;
    es = new EventSource(url(), { withCredentials: false });
    for (const [name, fn] of Object.entries(handlers)) {
      es.addEventListener(name, (e) => {
        retry = 1000;
        fn((e as MessageEvent).data, e as MessageEvent);
      });
    }
    es.onopen = () => onState?.(true);
    es.onerror = () => {
      onState?.(false);
      if (es && es.readyState === EventSource.CLOSED && !closed) {
        es = null;
        timer = setTimeout(open, retry);
        retry = Math.min(retry * 2, 30000);
      }
    };
  };
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    es?.close();
    es = null;
  };
}
