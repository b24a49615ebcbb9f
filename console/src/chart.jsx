// Stacked bar charts (Chart.js, only the parts used), each with its numbers as a table for screen readers.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useId, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);
// For devtools and the browser tests: `Chart.getChart(canvas).data` is what is drawn.
window.Chart = Chart;

// Colour-blind-safe (Okabe–Ito), then greys.
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
export const colour = (i) => COLOURS[i % COLOURS.length];

// `datasets`: [{label, data, group}] over `labels`; `group` is the raw grouping value the API returned.
export function BarChart({ title, labels, datasets, unit = '', digits = 0, testid }) {
  const canvas = useRef(null);
  const chart = useRef(null);
  const id = useId();
  useEffect(() => {
    const data = {
      labels,
      datasets: datasets.map((d, i) => ({ ...d, backgroundColor: colour(i), borderWidth: 0 })),
    };
    if (chart.current) {
      chart.current.data = data;
      chart.current.options.plugins.legend.display = datasets.length > 1;
      chart.current.update();
    } else {
      chart.current = new Chart(canvas.current, {
        type: 'bar',
        data,
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
          plugins: {
            legend: { position: 'bottom', display: datasets.length > 1 },
            tooltip: {
              callbacks: {
                label: (ctx) => `${ctx.dataset.label}: ${ctx.parsed.y.toLocaleString('en-US', { maximumFractionDigits: digits })}${unit}`,
              },
            },
          },
        },
      });
    }
  }, [labels, datasets]);
  useEffect(() => () => chart.current && chart.current.destroy(), []);
  const total = datasets.reduce((sum, d) => sum + d.data.reduce((a, b) => a + b, 0), 0);
  return (
    <figure class="chart" data-testid={testid} aria-labelledby={id}>
      <figcaption id={id}>
        <span>{title}</span>
        <span class="muted">
          {' '}
          total {total.toLocaleString('en-US', { maximumFractionDigits: digits })}
          {unit}
        </span>
      </figcaption>
      <div class="canvas-box">
        <canvas ref={canvas} role="img" aria-label={`${title}, a stacked bar chart; its numbers are in the table below`} />
      </div>
      <details>
        <summary>{title}: the numbers</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Period</th>
                {datasets.map((d) => (
                  <th scope="col" key={d.label}>
                    {d.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((label, i) =>
                datasets.some((d) => d.data[i]) ? (
                  <tr key={label}>
                    <th scope="row">{label}</th>
                    {datasets.map((d) => (
                      <td key={d.label}>{d.data[i].toLocaleString('en-US', { maximumFractionDigits: digits })}</td>
                    ))}
                  </tr>
                ) : null,
              )}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
