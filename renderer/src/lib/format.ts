// Display formatting that follows the UI language (Intl with the chosen locale): numbers, units, percentages, dates and
// times. The Intl objects are made once per locale and reused: the first one costs tens of milliseconds of ICU set-up
// on the main thread, and a progress bar formats ten times a second.
export interface Format {
  locale: string;
  int(n: number | null | undefined): string;
  decimal(n: number | null | undefined, digits: number): string;
  ms(ms: number | null | undefined): string;
  bytes(bytes: number | null | undefined): string;
  percent(v: number | null | undefined, digits?: number): string;
  score(v: number | null | undefined): string;
  /** Seconds as "1 h 3 min" / "1小时3分钟" (for ETAs). */
  duration(seconds: number): string;
  time(ms: number): string;
  dateTime(ms: number): string;
}

export const DASH = '–';

const finite = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

function build(locale: string): Format {
  const nf = (o: Intl.NumberFormatOptions) => new Intl.NumberFormat(locale, o);
  const int = nf({ maximumFractionDigits: 0 });
  const fixed = [0, 1, 2, 3, 4].map((d) => nf({ minimumFractionDigits: d, maximumFractionDigits: d }));
  const sig3 = nf({ maximumSignificantDigits: 3, minimumSignificantDigits: 3 });
  const unit = (u: string, d: number) => nf({ style: 'unit', unit: u, unitDisplay: 'short', minimumFractionDigits: d, maximumFractionDigits: d });
  const ms = [unit('millisecond', 0), unit('millisecond', 1)];
  const byteUnits = ['byte', 'kilobyte', 'megabyte', 'gigabyte'].map((u) => [unit(u, 0), unit(u, 1)]);
  const percent = [0, 1, 2].map((d) => nf({ style: 'percent', minimumFractionDigits: d, maximumFractionDigits: d }));
  const [hours, minutes, seconds] = ['hour', 'minute', 'second'].map((u) => unit(u, 0));
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dateTime = new Intl.DateTimeFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  // Chinese writes units without a space between them ("1小时3分钟"), English with one.
  const join = locale.startsWith('zh') ? '' : ' ';
  return {
    locale,
    int: (n) => (finite(n) ? int.format(Math.round(n)) : DASH),
    decimal: (n, d) => (finite(n) ? fixed[Math.min(4, Math.max(0, d))].format(n) : DASH),
    ms: (v) => (finite(v) ? (v >= 100 ? ms[0].format(Math.round(v)) : ms[1].format(v)) : DASH),
    bytes(b) {
      if (!finite(b)) return DASH;
      let v = b;
      let u = 0;
      while (v >= 1024 && u < byteUnits.length - 1) {
        v /= 1024;
        u++;
      }
      return byteUnits[u][v >= 100 || u === 0 ? 0 : 1].format(u === 0 || v >= 100 ? Math.round(v) : v);
    },
    percent: (v, d = 1) => (finite(v) ? percent[Math.min(2, Math.max(0, d))].format(v) : DASH),
    score(v) {
      if (!finite(v)) return DASH;
      const a = Math.abs(v);
      return a >= 100 ? fixed[1].format(v) : a >= 1 ? fixed[3].format(v) : sig3.format(v);
    },
    duration(total) {
      const s = Math.max(0, Math.round(total));
      if (s < 60) return seconds.format(s);
      const m = Math.floor(s / 60);
      if (m < 60) return [minutes.format(m), seconds.format(s % 60)].join(join);
      return [hours.format(Math.floor(m / 60)), minutes.format(m % 60)].join(join);
    },
    time: (t) => time.format(t),
    dateTime: (t) => dateTime.format(t),
  };
}

const cache = new Map<string, Format>();

/** The formatter for a locale, made once. */
export function formatFor(locale: string): Format {
  let f = cache.get(locale);
  if (!f) {
    f = build(locale);
    cache.set(locale, f);
  }
  return f;
}

/** A local calendar date (yyyy-mm-dd, as an <input type=date> gives it) to epoch ms at local midnight. */
export function localDateToMs(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
  return Number.isFinite(t) ? t : null;
}

export function msToLocalDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
