/**
 * The charts the current view drew (chart.ts, chart-extra.ts): disposed when the view changes
 * and resized with the window. Kept apart from the chart modules so the shell can dispose
 * charts without loading echarts: the inbox and the other table views never load it.
 */
export interface LiveChart {
  dispose(): void;
  resize(): void;
  getDom(): HTMLElement;
}

/** Whether a chart's box has been laid out with a size (echarts' map cannot lay out in an empty box). */
export function hasSize(box: HTMLElement): boolean {
  return box.clientWidth > 0 && box.clientHeight > 0;
}

/**
 * Runs `draw` on a frame once the box is in the document and has a size (layout may take a
 * few frames): a chart laid out in an empty box has no invertible view transform (echarts'
 * map throws). After `framesLeft` frames it draws anyway.
 */
export function whenSized(box: HTMLElement, draw: () => void, framesLeft = 120): void {
  requestAnimationFrame(() => {
    if (!box.isConnected) return;
    if (!hasSize(box) && framesLeft > 0) return whenSized(box, draw, framesLeft - 1);
    draw();
  });
}

export const live = new Set<LiveChart>();

/** Disposes the charts of the previous view. */
export function disposeCharts(): void {
  for (const c of live) c.dispose();
  live.clear();
}

addEventListener('resize', () => {
  for (const c of live) if (hasSize(c.getDom())) c.resize();
});
