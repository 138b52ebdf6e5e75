/** Shared pieces of the pages: data hooks, errors, sparklines, the JSON tree, copy blocks. */
import { html } from 'htm/preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export { html };
export type Node = ReturnType<typeof html> | null;

export interface Loaded<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `load()` when `key` changes, and every `everyMs` when given (a poll that never overlaps itself).
 * The load starts as the component is put on the page (a layout effect), not after the next frame as
 * a passive effect would: each frame waited for is time before the data shows.
 */
export function useApi<T>(load: () => Promise<T>, key: string, everyMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean; key: string }>({ loading: true, key });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useLayoutEffect(() => {
    let live = true;
    let timer: number | undefined;
    const run = async () => {
      try {
        const data = await load();
        if (live) setState({ data, loading: false, key });
      } catch (error) {
        if (live) setState((s) => ({ data: s.key === key ? s.data : undefined, error: error as Error, loading: false, key }));
      }
      if (live && everyMs) timer = window.setTimeout(run, everyMs);
    };
    if (state.key !== key) setState({ loading: true, key });
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, tick]);
  return { data: state.key === key ? state.data : undefined, error: state.key === key ? state.error : undefined, loading: state.loading, reload };
}

export function ErrorBox({ error }: { error?: Error }): Node | null {
  if (!error) return null;
  return html`<div class="error" role="alert">${error.message}</div>`;
}

export function Status({ value }: { value: string }): Node {
  return html`<span class=${`badge ${value}`}>${value}</span>`;
}

/** A small SVG line of the last values (newest last). */
export function Sparkline({ values, width = 90, height = 22 }: { values: number[]; width?: number; height?: number }): Node {
  if (values.length < 2) return html`<svg class="spark" width=${width} height=${height} aria-hidden="true"></svg>`;
  const max = Math.max(1, ...values);
  const step = width / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return html`<svg class="spark" width=${width} height=${height} role="img" aria-label=${`last ${values.length} samples, max ${max.toFixed(1)}/s`}><polyline points=${points} /></svg>`;
}

/** A collapsible tree of a JSON value; big numbers in the source stay as they were typed. */
export function JsonTree({ value, name, open = true }: { value: unknown; name?: string; open?: boolean }): Node {
  const label = name === undefined ? null : html`<span class="k">${JSON.stringify(name)}</span>: `;
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
    return html`<li>
      <details open=${open}>
        <summary>${label}${brackets[0]}<span class="muted">${entries.length} ${Array.isArray(value) ? 'items' : 'keys'}</span>${brackets[1]}</summary>
        <ul class="tree">${entries.map(([k, v]) => html`<${JsonTree} value=${v} name=${Array.isArray(value) ? undefined : k} open=${entries.length < 30} />`)}</ul>
      </details>
    </li>`;
  }
  const cls = typeof value === 'string' ? 's' : 'n';
  return html`<li>${label}<span class=${cls}>${JSON.stringify(value)}</span></li>`;
}

export function CopyBlock({ text, label }: { text: string; label?: string }): Node {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 1200);
    } catch {
      /* no clipboard (plain http on another host): the text is selectable */
    }
  };
  return html`<div class="copy">
    <div class="row"><strong>${label}</strong><button onClick=${copy} aria-label=${`copy ${label ?? ''}`}>${copied ? 'Copied' : 'Copy'}</button></div>
    <pre tabindex="0">${text}</pre>
  </div>`;
}

/** Values kept in this browser (theme, decode views). */
export function usePersistent<T extends string>(key: string, fallback: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => (localStorage.getItem(`millrace.${key}`) as T | null) ?? fallback);
  const set = (next: T) => {
    localStorage.setItem(`millrace.${key}`, next);
    setValue(next);
  };
  return [value, set];
}

/** A ring of the last `size` samples of a value polled elsewhere. */
export function useHistory(value: number | undefined, size = 60): number[] {
  const ring = useRef<number[]>([]);
  useEffect(() => {
    if (value === undefined) return;
    ring.current = [...ring.current.slice(-(size - 1)), value];
  }, [value]);
  return ring.current;
}
