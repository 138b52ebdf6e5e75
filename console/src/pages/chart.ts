/** uPlot, loaded on first use from the vendored file (it is most of the console's weight). */
import type uPlotType from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { html, type Node } from '../ui.js';

type UPlot = typeof uPlotType;
let loading: Promise<UPlot> | undefined;

export function loadUPlot(): Promise<UPlot> {
  loading ??= new Promise<UPlot>((resolve, reject) => {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = new URL('../../vendor/uPlot.min.css', import.meta.url).href; // under this build's ui/~BUILD/
    document.head.append(css);
    const script = document.createElement('script');
    script.src = new URL('../../vendor/uPlot.iife.min.js', import.meta.url).href;
    script.onload = () => resolve((window as unknown as { uPlot: UPlot }).uPlot);
    script.onerror = () => reject(new Error('uPlot did not load'));
    document.head.append(script);
  });
  return loading;
}

export interface Series {
  label: string;
  /** Epoch seconds. */
  x: number[];
  ys: Array<{ label: string; values: Array<number | null> }>;
  unit?: string;
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];

/** A time-series chart; redrawn in place when the data changes. */
export function Chart({ series, height = 200 }: { series: Series; height?: number }): Node {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlotType | undefined>(undefined);
  const shape = series.ys.map((y) => y.label).join('|');
  useEffect(() => {
    let cancelled = false;
    void loadUPlot().then((U) => {
      if (cancelled || !box.current) return;
      plot.current?.destroy();
      const dark = getComputedStyle(document.documentElement).colorScheme === 'dark';
      const axis = { stroke: dark ? '#8d96a0' : '#656d76', grid: { stroke: dark ? '#30363d' : '#e5e7eb' } };
      plot.current = new U(
        {
          width: Math.max(300, box.current.clientWidth),
          height,
          title: series.label,
          series: [{}, ...series.ys.map((y, i) => ({ label: y.label, stroke: PALETTE[i % PALETTE.length], width: 1.5, points: { show: series.x.length < 3 } }))],
          axes: [axis, { ...axis, label: series.unit }],
          scales: { x: { time: true } },
        },
        [series.x, ...series.ys.map((y) => y.values)] as uPlotType.AlignedData,
        box.current,
      );
    });
    return () => {
      cancelled = true;
    };
  }, [shape, height]);
  useEffect(() => {
    plot.current?.setData([series.x, ...series.ys.map((y) => y.values)] as uPlotType.AlignedData);
  }, [series]);
  useEffect(() => () => plot.current?.destroy(), []);
  return html`<div class="chart" ref=${box} data-points=${series.x.length}></div>`;
}
