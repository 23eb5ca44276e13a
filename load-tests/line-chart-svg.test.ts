import { describe, expect, it } from 'vitest';
import { lineChartSvg, niceCeiling, sideBySideSvg } from './line-chart-svg.js';

describe('line charts', () => {
  it('draws each series as a polyline within the plot, on round axes', () => {
    expect([niceCeiling(5.6), niceCeiling(51_000), niceCeiling(100), niceCeiling(0)]).toEqual([6, 60_000, 100, 1]);
    const svg = lineChartSvg({
      title: 'T <1>',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'up',
          color: '#111',
          points: [
            [0, 0],
            [5, 50],
          ],
        },
        {
          name: 'down',
          color: '#222',
          points: [
            [0, 50],
            [2.5, 25],
            [5, 0],
          ],
        },
      ],
      markers: [{ x: 2.5, label: 'uploaded' }],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('T &lt;1&gt;');
    const polylines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((match) =>
      match[1]!.split(' ').map((point) => point.split(',').map(Number)),
    );
    expect(polylines.map((points) => points.length)).toEqual([2, 3]);
    // x from 0 to 5 spans the plot (70 … 840 px); y 50 is the top (40 px), y 0 the bottom (300 px).
    expect(polylines[0]).toEqual([
      [70, 300],
      [840, 40],
    ]);
    expect(polylines[1]![1]).toEqual([455, 170]);
    expect(svg).toContain('stroke-dasharray');
    // Whole-number series get whole-number ticks: 0 … 4 for a top of 4, not 0.8, 1.6 …
    const instances = lineChartSvg({
      title: 'i',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'n',
          color: '#333',
          points: [
            [0, 1],
            [1, 4],
          ],
        },
      ],
      integerY: true,
    });
    const yTickLabels = [...instances.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]*)</g)].map((match) => match[1]);
    expect(yTickLabels).toEqual(['0', '1', '2', '3', '4']);
    // Charts shown side by side can share their axes: the ends are at least the given ones.
    const shared = lineChartSvg({
      title: 'i',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'n',
          color: '#333',
          points: [
            [0, 1],
            [1, 4],
          ],
        },
      ],
      integerY: true,
      xAtLeast: 9,
      yAtLeast: 7,
    });
    expect([...shared.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]*)</g)].map((match) => match[1])).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
    ]);
    expect([...shared.matchAll(/text-anchor="middle">([^<]*)</g)].map((match) => match[1])).toContain('10');
  });

  it('puts finished charts side by side in one SVG, each keeping its own axes', () => {
    const chart = (title: string) =>
      lineChartSvg({
        title,
        xLabel: 'x',
        yLabel: 'y',
        series: [
          {
            name: 'n',
            color: '#333',
            points: [
              [0, 1],
              [1, 2],
            ],
          },
        ],
      });
    const row = sideBySideSvg([chart('functions'), chart('keda')]);
    expect(row.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="1720" height="360" viewBox="0 0 1720 360">')).toBe(true);
    expect([...row.matchAll(/<svg x="(\d+)" y="0" width="860"/g)].map((match) => Number(match[1]))).toEqual([0, 860]);
    expect(row).toContain('>functions<');
    expect(row).toContain('>keda<');
    expect(() => sideBySideSvg(['<g/>'])).toThrow(/lineChartSvg/);
  });
});
