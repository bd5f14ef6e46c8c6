import { Component, type ErrorInfo, type ReactNode } from 'react';
import { useT } from '../i18n/hooks';
import type { Screen } from '../state/slices/ui';

interface State {
  error: Error | null;
}

/** What a failed screen shows in its place. */
export function ScreenError({ screen, message, onRetry }: { screen: Screen; message: string; onRetry(): void }) {
  const t = useT();
  return (
    <div className="panel" role="alert" data-testid="screen-error">
      <h3>{t('common.screenFailed', { screen: t(`nav.${screen}`) })}</h3>
      <p className="error">{message}</p>
      <button type="button" onClick={onRetry}>
        {t('common.tryAgain')}
      </button>
    </div>
  );
}

/** A screen that fails to render says so, and the rest of the window keeps working. */
export class ErrorBoundary extends Component<{ children: ReactNode; name: Screen }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    // Reaches main's renderer.log in the desktop app.
    console.error(`${this.props.name} failed to render`, error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return <ScreenError screen={this.props.name} message={this.state.error.message} onRetry={() => this.setState({ error: null })} />;
  }
}
