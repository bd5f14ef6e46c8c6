// Dashboard: the line's health over time (latency percentiles, throughput, NG rate, memory) and the bank in use.
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useApp } from '../lib/app-context';
import { dashboardSeries, type DashboardPoint } from '../state/selectors';
import { formatBytes, formatMs, formatPercent, formatInt } from '../lib/format';

const AXIS = { stroke: '#8a96a3', fontSize: 11 };

function Chart({ title, data, lines, unit, testId }: { title: string; data: DashboardPoint[]; lines: { key: keyof DashboardPoint; name: string; color: string }[]; unit: string; testId: string }) {
  return (
    <div className="panel chart" data-testid={testId}>
      <h3>{title}</h3>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#26303a" strokeDasharray="3 3" />
          <XAxis dataKey="time" tick={AXIS} minTickGap={40} />
          <YAxis tick={AXIS} unit={unit} width={64} />
          <Tooltip contentStyle={{ background: '#151b21', border: '1px solid #2b3540' }} />
          <Legend />
          {lines.map((l) => (
            <Line key={l.key} type="monotone" dataKey={l.key} name={l.name} stroke={l.color} dot={false} isAnimationActive={false} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

export function DashboardScreen() {
  const samples = useApp((s) => s.samples);
  const data = useMemo(() => dashboardSeries(samples), [samples]);
  const last = samples.at(-1) ?? null;
  return (
    <section className="screen dashboard" data-testid="screen-dashboard">
      <div className="cards">
        <Card label="Latency p50 / p95 / p99" value={last ? `${formatMs(last.latencyP50)} / ${formatMs(last.latencyP95)} / ${formatMs(last.latencyP99)}` : '–'} testId="card-latency" />
        <Card label="Throughput" value={last ? `${last.partsPerMinute.toFixed(1)} parts/min` : '–'} testId="card-throughput" />
        <Card label="NG rate" value={formatPercent(last?.ngRate)} testId="card-ng" />
        <Card label="Memory bank" value={last?.bankVectors != null ? `${formatInt(last.bankVectors)} vectors · ${formatBytes(last.bankBytes)}` : 'no model'} testId="card-bank" />
        <Card label="Index" value={last?.indexType ?? '–'} testId="card-index" />
        <Card label="Process RSS" value={formatBytes(last?.rssBytes)} testId="card-rss" />
      </div>
      <div className="charts">
        <Chart
          title="Latency"
          unit=" ms"
          data={data}
          testId="chart-latency"
          lines={[
            { key: 'p50', name: 'p50', color: '#4fb0ff' },
            { key: 'p95', name: 'p95', color: '#f0b429' },
            { key: 'p99', name: 'p99', color: '#ef5b5b' },
          ]}
        />
        <Chart title="Throughput" unit="/min" data={data} testId="chart-throughput" lines={[{ key: 'partsPerMinute', name: 'parts per minute', color: '#3ecf8e' }]} />
        <Chart title="NG rate" unit=" %" data={data} testId="chart-ng" lines={[{ key: 'ngPercent', name: 'NG %', color: '#ef5b5b' }]} />
        <Chart
          title="Memory"
          unit=" MB"
          data={data}
          testId="chart-memory"
          lines={[
            { key: 'rssMB', name: 'process RSS', color: '#b794f4' },
            { key: 'heapMB', name: 'JS heap', color: '#8a96a3' },
          ]}
        />
        <Chart title="Memory bank" unit="" data={data} testId="chart-bank" lines={[{ key: 'bankVectors', name: 'bank vectors', color: '#4fb0ff' }]} />
      </div>
      <p className="muted small">
        Figures over the trailing {last?.windowSeconds ?? 60} s, sampled every second. Dropped frames since start: {last?.dropped ?? 0}.
      </p>
    </section>
  );
}

function Card({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="card" data-testid={testId}>
      <div className="muted small">{label}</div>
      <div className="card-value">{value}</div>
    </div>
  );
}
