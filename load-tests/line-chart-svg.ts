/**
 * Line charts as standalone SVG, hand-written so that a report needs no charting package: the load
 * test's report and the scaling simulation's draw with it. `sideBySideSvg` puts finished charts in
 * one row (one per scaling mode, say) without drawing anything itself.
 */

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

function xml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** Round tops for an axis: one of these times a power of ten. */
const NICE_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10] as const;

/** The smallest round number (see NICE_STEPS) at least `value`: the top of an axis. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of NICE_STEPS) if (step * power >= value * (1 - 1e-12)) return step * power;
  return 10 * power;
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/**
 * A line chart as a standalone SVG: series as polylines over shared axes from zero, vertical
 * markers (uploads, say) as dashed lines. Hand-written so that a report needs no charting package.
 */
export function lineChartSvg(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  markers?: readonly { x: number; label: string }[];
  /** Values are whole numbers (instances): y ticks at whole numbers when there are few. */
  integerY?: boolean;
  /** Axis ends at least this far (charts shown side by side share their axes). */
  xAtLeast?: number;
  yAtLeast?: number;
}): string {
  const width = 860;
  const height = 360;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 60;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const allPoints = options.series.flatMap((series) => series.points);
  const xMax = niceCeiling(Math.max(...allPoints.map(([x]) => x), ...(options.markers ?? []).map((marker) => marker.x), options.xAtLeast ?? 0, 1));
  const yMax = niceCeiling(Math.max(...allPoints.map(([, y]) => y), options.yAtLeast ?? 0, 1));
  const yTicks = options.integerY && Number.isInteger(yMax) && yMax <= 10 ? yMax : 5;
  const px = (x: number) => (left + (x / xMax) * plotWidth).toFixed(1);
  const py = (y: number) => (top + plotHeight - (y / yMax) * plotHeight).toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${xml(options.title)}</text>`,
  ];
  for (let tick = 0; tick <= yTicks; tick += 1) {
    const y = (yMax * tick) / yTicks;
    parts.push(
      `<line x1="${left}" y1="${py(y)}" x2="${width - right}" y2="${py(y)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${py(y)}" text-anchor="end" dominant-baseline="middle">${compact.format(y)}</text>`,
    );
  }
  for (let tick = 0; tick <= 5; tick += 1) {
    const x = (xMax * tick) / 5;
    parts.push(`<text x="${px(x)}" y="${top + plotHeight + 18}" text-anchor="middle">${compact.format(x)}</text>`);
  }
  parts.push(
    `<line x1="${left}" y1="${top + plotHeight}" x2="${width - right}" y2="${top + plotHeight}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#333"/>`,
    `<text x="${left + plotWidth / 2}" y="${height - 22}" text-anchor="middle">${xml(options.xLabel)}</text>`,
    `<text x="16" y="${top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + plotHeight / 2})">${xml(options.yLabel)}</text>`,
  );
  for (const marker of options.markers ?? []) {
    parts.push(
      `<line x1="${px(marker.x)}" y1="${top}" x2="${px(marker.x)}" y2="${top + plotHeight}" stroke="#999" stroke-dasharray="4 3"><title>${xml(marker.label)}</title></line>`,
    );
  }
  let legendX = left + 10;
  for (const series of options.series) {
    const points = series.points.map(([x, y]) => `${px(x)},${py(y)}`).join(' ');
    parts.push(
      `<polyline fill="none" stroke="${xml(series.color)}" stroke-width="2" points="${points}"><title>${xml(series.name)}</title></polyline>`,
      `<rect x="${legendX}" y="${height - 12}" width="12" height="3" fill="${xml(series.color)}"/>`,
      `<text x="${legendX + 18}" y="${height - 8}">${xml(series.name)}</text>`,
    );
    legendX += 18 + series.name.length * 7 + 24; // ~7 px a character at 12 px
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Finished charts in one row, each keeping its own axes: one SVG that nests them left to right. */
export function sideBySideSvg(charts: readonly string[]): string {
  const sizes = charts.map((chart) => {
    const match = /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="(\d+)" height="(\d+)"/.exec(chart);
    if (!match) throw new Error('sideBySideSvg takes charts made by lineChartSvg');
    return { width: Number(match[1]), height: Number(match[2]) };
  });
  const width = sizes.reduce((sum, size) => sum + size.width, 0);
  const height = Math.max(0, ...sizes.map((size) => size.height));
  let x = 0;
  const nested = charts.map((chart, index) => {
    const placed = chart.replace('<svg xmlns="http://www.w3.org/2000/svg" ', `<svg x="${x}" y="0" `).trimEnd();
    x += sizes[index]!.width;
    return placed;
  });
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`, ...nested, '</svg>'].join('\n') + '\n';
}
