// The form and list shapes every screen repeats: a labelled field, a text or select field, a segmented switch, a fact
// list, a table, a stat card. One place for their markup (and their test ids).
import type { ReactNode } from 'react';

export function Field({ label, children, className }: { label: ReactNode; children: ReactNode; className?: string }) {
  return (
    <label className={className}>
      {label}
      {children}
    </label>
  );
}

interface TextFieldProps {
  label?: ReactNode;
  value: string;
  onChange(v: string): void;
  placeholder?: string;
  testId: string;
  disabled?: boolean;
  inputMode?: 'decimal' | 'numeric' | 'text';
  size?: number;
  type?: 'text' | 'date';
  className?: string;
}

export function TextField({ label, value, onChange, placeholder, testId, disabled, inputMode, size, type = 'text', className }: TextFieldProps) {
  const input = (
    <input type={type} value={value} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} disabled={disabled} inputMode={inputMode} size={size} data-testid={testId} />
  );
  return label === undefined ? input : <Field label={label} className={className}>{input}</Field>;
}

export interface Option {
  value: string;
  label: string;
}

export function SelectField({ label, value, onChange, options, testId, empty }: { label: ReactNode; value: string; onChange(v: string): void; options: Option[]; testId: string; empty?: string }) {
  return (
    <Field label={label}>
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        {options.length === 0 && empty !== undefined && <option value="">{empty}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

export interface SegmentItem<T extends string> {
  id: T;
  label: string;
  testId: string;
}

/** A row of buttons of which one is active: screens, sources, capture modes. */
export function Segmented<T extends string>({ items, value, onChange, className = 'segmented', tabs, label }: { items: SegmentItem<T>[]; value: T; onChange(v: T): void; className?: string; tabs?: boolean; label?: string }) {
  return (
    <div className={className} role={tabs ? 'tablist' : undefined} aria-label={label}>
      {items.map((s) => (
        <button
          key={s.id}
          type="button"
          role={tabs ? 'tab' : undefined}
          aria-selected={tabs ? value === s.id : undefined}
          className={value === s.id ? 'active' : ''}
          onClick={() => onChange(s.id)}
          data-testid={s.testId}
        >
          {s.label}
        </button>
      ))}
    </div>
  );
}

export interface Fact {
  label: string;
  value: ReactNode;
  testId?: string;
  className?: string;
}

export function Facts({ rows }: { rows: Fact[] }) {
  return (
    <dl className="facts">
      {rows.map((r) => [
        <dt key={`${r.label}-t`}>{r.label}</dt>,
        <dd key={`${r.label}-d`} className={r.className} data-testid={r.testId}>
          {r.value}
        </dd>,
      ])}
    </dl>
  );
}

export function Table({ head, children, testId }: { head: ReactNode[]; children: ReactNode; testId?: string }) {
  return (
    <table className="table" data-testid={testId}>
      <thead>
        <tr>
          {head.map((h, i) => (
            <th key={i}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

export function StatCard({ label, value, testId, valueTestId, className = 'card' }: { label: string; value: string; testId?: string; valueTestId?: string; className?: string }) {
  return (
    <div className={className} data-testid={testId}>
      <div className="muted small">{label}</div>
      <div className="card-value" data-testid={valueTestId}>
        {value}
      </div>
    </div>
  );
}
