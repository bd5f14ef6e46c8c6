// Dashboard: the line's health over time (latency percentiles, throughput, NG rate, memory) and the bank in use.
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useApp } from '../lib/app-context';
import { dashboardSeries, type DashboardPoint } from '../state/selectors';
import { StatCard } from '../components/form';
import { useFormat, useT } from '../i18n/hooks';
import { AXIS, CHART_MARGIN, GRID, TOOLTIP } from '../components/chart-style';

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  lines: { key: keyof DashboardPoint; name: string; color: string }[];
}

function Chart({ spec, data }: { spec: ChartSpec; data: DashboardPoint[] }) {
  return (
    <div className="panel chart" data-testid={`chart-${spec.id}`}>
      <h3>{spec.title}</h3>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data} margin={CHART_MARGIN}>
          <CartesianGrid {...GRID} />
          <XAxis dataKey="time" tick={AXIS} minTickGap={40} />
          <YAxis tick={AXIS} unit={spec.unit} width={64} />
          <Tooltip contentStyle={TOOLTIP} />
          <Legend />
          {spec.lines.map((l) => (
            <Line key={l.key} type="monotone" dataKey={l.key} name={l.name} stroke={l.color} dot={false} isAnimationActive={false} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

export function DashboardScreen() {
  const t = useT();
  const f = useFormat();
  const samples = useApp((s) => s.samples);
  const data = useMemo(() => dashboardSeries(samples, f.time), [samples, f]);
  const last = samples.at(-1) ?? null;
  const cards: [string, string, string][] = [
    ['latency', t('dashboard.latencyCard'), last ? `${f.ms(last.latencyP50)} / ${f.ms(last.latencyP95)} / ${f.ms(last.latencyP99)}` : '–'],
    ['throughput', t('dashboard.throughput'), last ? t('dashboard.perMinute', { n: f.decimal(last.partsPerMinute, 1) }) : '–'],
    ['ng', t('dashboard.ngRate'), f.percent(last?.ngRate)],
    ['bank', t('dashboard.bank'), last?.bankVectors != null ? t('dashboard.bankValue', { vectors: f.int(last.bankVectors), bytes: f.bytes(last.bankBytes) }) : t('dashboard.noModel')],
    ['index', t('dashboard.index'), last?.indexType ?? '–'],
    ['rss', t('dashboard.rss'), f.bytes(last?.rssBytes)],
  ];
  const charts: ChartSpec[] = [
    {
      id: 'latency',
      title: t('dashboard.latency'),
      unit: ' ms',
      lines: [
        { key: 'p50', name: 'p50', color: '#4fb0ff' },
        { key: 'p95', name: 'p95', color: '#f0b429' },
        { key: 'p99', name: 'p99', color: '#ef5b5b' },
      ],
    },
    { id: 'throughput', title: t('dashboard.throughput'), unit: '/min', lines: [{ key: 'partsPerMinute', name: t('dashboard.partsPerMinute'), color: '#3ecf8e' }] },
    { id: 'ng', title: t('dashboard.ngRate'), unit: ' %', lines: [{ key: 'ngPercent', name: t('dashboard.ngPercent'), color: '#ef5b5b' }] },
    {
      id: 'memory',
      title: t('dashboard.memory'),
      unit: ' MB',
      lines: [
        { key: 'rssMB', name: t('dashboard.processRss'), color: '#b794f4' },
        { key: 'heapMB', name: t('dashboard.heap'), color: '#8a96a3' },
      ],
    },
    { id: 'bank', title: t('dashboard.bank'), unit: '', lines: [{ key: 'bankVectors', name: t('dashboard.bankVectors'), color: '#4fb0ff' }] },
  ];
  return (
    <section className="screen dashboard" data-testid="screen-dashboard">
      <div className="cards">
        {cards.map(([id, label, value]) => (
          <StatCard key={id} label={label} value={value} testId={`card-${id}`} />
        ))}
      </div>
      <div className="charts">
        {charts.map((c) => (
          <Chart key={c.id} spec={c} data={data} />
        ))}
      </div>
      <p className="muted small">{t('dashboard.footer', { seconds: last?.windowSeconds ?? 60, dropped: f.int(last?.dropped ?? 0) })}</p>
    </section>
  );
}
