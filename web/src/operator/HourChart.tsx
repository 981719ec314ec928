// One number per hour over the last day as a small inline SVG, drawn by hand like the records'
// trend charts (no chart library: the page's budget is strict). A line for levels (the
// backlog), bars for counts and durations; an hour with no value leaves a gap. The chart is an
// image with a one-sentence summary; the numbers themselves are in the table below the charts.
const W = 340;
const H = 150;
const M = { top: 12, right: 10, bottom: 26, left: 60 }; // room for a duration tick in Hindi

export function HourChart({
  starts,
  values,
  kind,
  label,
  format,
  hourLabel,
}: {
  /** Start of each hour (ISO). */
  starts: string[];
  /** The hour's value, or null when there is none. */
  values: (number | null)[];
  kind: "line" | "bars";
  /** The summary read out for the image. */
  label: string;
  /** A tick value in words (a count, a duration). */
  format: (v: number) => string;
  /** An hour as a short label (e.g. 14:00). */
  hourLabel: (iso: string) => string;
}) {
  const n = values.length;
  if (n === 0) return null;
  const max = Math.max(1, ...values.map((v) => v ?? 0));
  const top = niceCeil(max);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const slot = plotW / n;
  const x = (i: number) => M.left + slot * (i + 0.5);
  const y = (v: number) => M.top + (1 - v / top) * plotH;
  const ticks = top % 2 === 0 ? [0, top / 2, top] : [0, top]; // whole numbers only
  const hourTicks = [0, Math.floor((n - 1) / 2), n - 1];
  let path = "";
  values.forEach((v, i) => {
    if (v === null) return;
    path += `${path && values[i - 1] !== null ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
  });
  return (
    <svg className="hour-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={M.left} x2={W - M.right} y1={y(v)} y2={y(v)} className={v === 0 ? "trend-axis" : "chart-grid"} />
          <text x={M.left - 5} y={y(v) + 4} textAnchor="end" className="trend-label">
            {format(v)}
          </text>
        </g>
      ))}
      {hourTicks.map((i, k) => (
        <text
          key={`${i}-${k}`}
          x={x(i)}
          y={H - M.bottom + 16}
          textAnchor={k === 0 ? "start" : k === hourTicks.length - 1 ? "end" : "middle"}
          className="trend-label"
        >
          {hourLabel(starts[i]!)}
        </text>
      ))}
      {kind === "bars" &&
        values.map((v, i) =>
          v === null || v === 0 ? null : (
            <rect
              key={i}
              x={x(i) - slot * 0.35}
              width={slot * 0.7}
              y={y(v)}
              height={Math.max(1, y(0) - y(v))}
              className="chart-bar"
            />
          ),
        )}
      {kind === "line" && (
        <>
          <path d={path} className="trend-line" />
          {values.map((v, i) => (v === null ? null : <circle key={i} cx={x(i)} cy={y(v)} r={2.5} className="trend-point" />))}
        </>
      )}
    </svg>
  );
}

/** The smallest of 1, 2, 5 × 10^k (k ≥ 0) at or above v, so ticks fall on round numbers. */
function niceCeil(v: number): number {
  let p = 1;
  for (;;) {
    for (const m of [1, 2, 5]) if (m * p >= v) return m * p;
    p *= 10;
  }
}
