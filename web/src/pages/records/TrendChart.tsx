// One test's values over time as a small inline SVG (no chart library: the page's budget is
// strict). The reference range is a shaded band; a value outside it is drawn larger with an
// H or L beside it, so the flag does not rest on colour alone. It scales to the card's width.
import { useLang } from "../../i18n";
import { formatDay } from "../../lib/dates";
import type { Goal } from "../../lib/recordIndex";
import type { Series } from "../../lib/records";

const W = 340;
const H = 180;
const M = { top: 16, right: 16, bottom: 30, left: 44 };

export function TrendChart({ series, label, goal }: { series: Series; label: string; goal?: Goal }) {
  const { t, lang } = useLang();
  const pts = series.points;
  if (pts.length === 0) return null;
  const times = pts.map((p) => Date.parse(`${p.date}T00:00:00Z`));
  const values = pts.map((p) => p.value);
  const bounds = [...values, ...(series.low !== undefined ? [series.low] : []), ...(series.high !== undefined ? [series.high] : []), ...(goal ? [goal.target] : [])];
  let lo = Math.min(...bounds);
  let hi = Math.max(...bounds);
  const pad = (hi - lo) * 0.12 || Math.abs(hi) * 0.1 || 1;
  lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad; // values that cannot be negative keep a zero floor
  hi += pad;
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  // Points sit a little inside the axes, so a first value's H never covers a tick label.
  const left = M.left + 14;
  const right = W - M.right - 10;
  const x = (t: number) => (t1 === t0 ? (left + right) / 2 : left + ((t - t0) / (t1 - t0)) * (right - left));
  const y = (v: number) => M.top + (1 - (v - lo) / (hi - lo)) * (H - M.top - M.bottom);
  const ticks = [lo + (hi - lo) * 0.1, (lo + hi) / 2, hi - (hi - lo) * 0.1].map((v) => roundNice(v, hi - lo));
  const dateTicks = pts.length > 2 ? [0, Math.floor((pts.length - 1) / 2), pts.length - 1] : pts.map((_, i) => i);
  const short = (d: string) => formatDay(lang, d).replace(/^\d{1,2}\s/, "");
  const band = {
    top: y(Math.min(series.high ?? hi, hi)),
    bottom: y(Math.max(series.low ?? lo, lo)),
  };
  const path = pts.map((p, i) => `${i === 0 ? "M" : "L"}${x(times[i]!).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  return (
    <svg className="trend" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-points={pts.length}>
      {(series.low !== undefined || series.high !== undefined) && (
        <rect x={M.left} width={W - M.left - M.right} y={band.top} height={Math.max(0, band.bottom - band.top)} className="trend-band" />
      )}
      <text x={2} y={9} className="trend-label">
        {series.unit}
      </text>
      <line x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} className="trend-axis" />
      <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} className="trend-axis" />
      {ticks.map((v) => (
        <text key={v} x={M.left - 5} y={y(v) + 4} textAnchor="end" className="trend-label">
          {v}
        </text>
      ))}
      {dateTicks.map((i) => (
        <text
          key={i}
          x={x(times[i]!)}
          y={H - M.bottom + 16}
          textAnchor={dateTicks.length > 1 && i === 0 ? "start" : dateTicks.length > 1 && i === pts.length - 1 ? "end" : "middle"}
          className="trend-label"
        >
          {short(pts[i]!.date)}
        </text>
      ))}
      {goal && (
        <g className="trend-goal" data-testid="trend-goal">
          <line x1={M.left} x2={W - M.right} y1={y(goal.target)} y2={y(goal.target)} />
          <text x={W - M.right} y={y(goal.target) - 4} textAnchor="end">
            {t("records.goal.chart", { target: goal.target })}
          </text>
        </g>
      )}
      <path d={path} className="trend-line" />
      {pts.map((p, i) => (
        <g key={i}>
          <circle cx={x(times[i]!)} cy={y(p.value)} r={p.flag ? 5 : 3.5} className={p.flag ? "trend-point out" : "trend-point"} />
          {p.flag && (
            <text x={x(times[i]!)} y={y(p.value) - 8} textAnchor="middle" className="trend-flag">
              {p.flag === "high" ? "H" : p.flag === "low" ? "L" : "!"}
            </text>
          )}
        </g>
      ))}
    </svg>
  );
}

/** A tick value with as many decimals as the span needs. */
function roundNice(v: number, span: number): number {
  const dp = span >= 20 ? 0 : span >= 2 ? 1 : 2;
  return Math.round(v * 10 ** dp) / 10 ** dp;
}
