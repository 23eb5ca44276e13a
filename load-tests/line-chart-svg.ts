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

/** What `lineChartSvg` draws. */
export interface LineChartOptions {
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
}

/** The chart's size and margins in pixels; the plot is what the margins leave. */
const WIDTH = 860;
const HEIGHT = 360;
const LEFT = 70;
const RIGHT = 20;
const TOP = 40;
const BOTTOM = 60;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;

/** The axes' ranges, and where a value lands in pixels. */
interface Frame {
  readonly xMax: number;
  readonly yMax: number;
  px(x: number): string;
  py(y: number): string;
}

/**
 * A line chart as a standalone SVG: series as polylines over shared axes from zero, vertical
 * markers (uploads, say) as dashed lines. Hand-written so that a report needs no charting package.
 */
export function lineChartSvg(options: LineChartOptions): string {
  const allPoints = options.series.flatMap((series) => series.points);
  const xMax = niceCeiling(
    Math.max(...allPoints.map(([x]) => x), ...(options.markers ?? []).map((marker) => marker.x), options.xAtLeast ?? 0, 1),
  );
  const yMax = niceCeiling(Math.max(...allPoints.map(([, y]) => y), options.yAtLeast ?? 0, 1));
  const frame: Frame = {
    xMax,
    yMax,
    px: (x) => (LEFT + (x / xMax) * PLOT_WIDTH).toFixed(1),
    py: (y) => (TOP + PLOT_HEIGHT - (y / yMax) * PLOT_HEIGHT).toFixed(1),
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${xml(options.title)}</text>`,
    ...axesSvg(frame, options),
  ];
  for (const marker of options.markers ?? []) {
    parts.push(
      `<line x1="${frame.px(marker.x)}" y1="${TOP}" x2="${frame.px(marker.x)}" y2="${TOP + PLOT_HEIGHT}" stroke="#999" stroke-dasharray="4 3"><title>${xml(marker.label)}</title></line>`,
    );
  }
  parts.push(...seriesSvg(frame, options.series), '</svg>');
  return parts.join('\n') + '\n';
}

/** Grid lines and tick labels, the two axes and their labels. */
function axesSvg({ xMax, yMax, px, py }: Frame, options: LineChartOptions): string[] {
  const parts: string[] = [];
  const yTicks = options.integerY && Number.isInteger(yMax) && yMax <= 10 ? yMax : 5;
  for (let tick = 0; tick <= yTicks; tick += 1) {
    const y = (yMax * tick) / yTicks;
    parts.push(
      `<line x1="${LEFT}" y1="${py(y)}" x2="${WIDTH - RIGHT}" y2="${py(y)}" stroke="#e5e5e5"/>`,
      `<text x="${LEFT - 6}" y="${py(y)}" text-anchor="end" dominant-baseline="middle">${compact.format(y)}</text>`,
    );
  }
  for (let tick = 0; tick <= 5; tick += 1) {
    const x = (xMax * tick) / 5;
    parts.push(`<text x="${px(x)}" y="${TOP + PLOT_HEIGHT + 18}" text-anchor="middle">${compact.format(x)}</text>`);
  }
  parts.push(
    `<line x1="${LEFT}" y1="${TOP + PLOT_HEIGHT}" x2="${WIDTH - RIGHT}" y2="${TOP + PLOT_HEIGHT}" stroke="#333"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + PLOT_HEIGHT}" stroke="#333"/>`,
    `<text x="${LEFT + PLOT_WIDTH / 2}" y="${HEIGHT - 22}" text-anchor="middle">${xml(options.xLabel)}</text>`,
    `<text x="16" y="${TOP + PLOT_HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 16 ${TOP + PLOT_HEIGHT / 2})">${xml(options.yLabel)}</text>`,
  );
  return parts;
}

/** Each series as a polyline, and its entry in the legend under the plot. */
function seriesSvg({ px, py }: Frame, series: readonly ChartSeries[]): string[] {
  const parts: string[] = [];
  let legendX = LEFT + 10;
  for (const one of series) {
    const points = one.points.map(([x, y]) => `${px(x)},${py(y)}`).join(' ');
    parts.push(
      `<polyline fill="none" stroke="${xml(one.color)}" stroke-width="2" points="${points}"><title>${xml(one.name)}</title></polyline>`,
      `<rect x="${legendX}" y="${HEIGHT - 12}" width="12" height="3" fill="${xml(one.color)}"/>`,
      `<text x="${legendX + 18}" y="${HEIGHT - 8}">${xml(one.name)}</text>`,
    );
    legendX += 18 + one.name.length * 7 + 24; // ~7 px a character at 12 px
  }
  return parts;
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
  return (
    [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
      ...nested,
      '</svg>',
    ].join('\n') + '\n'
  );
}
