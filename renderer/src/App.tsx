import { useEffect } from 'react';
import { useApp } from './lib/app-context';
import { CameraProvider } from './lib/camera';
import { TopBar } from './components/TopBar';
import { PinDialog } from './components/PinDialog';
import { Toasts } from './components/Toasts';
import { ErrorBoundary } from './components/ErrorBoundary';
import { NgAlert } from './components/NgAlert';
import { InspectScreen } from './screens/InspectScreen';
import { DashboardScreen } from './screens/DashboardScreen';
import { ModelsScreen } from './screens/ModelsScreen';
import { ThresholdsScreen } from './screens/ThresholdsScreen';
import { ReviewScreen } from './screens/ReviewScreen';
import { SettingsScreen } from './screens/SettingsScreen';
import { isImageFileName } from '../../shared/images';

export function App() {
  const screen = useApp((s) => s.screen);
  const go = useApp((s) => s.go);
  const setSource = useApp((s) => s.setSource);
  const inspectFiles = useApp((s) => s.inspectFiles);

  // Files dropped anywhere on the window are inspected (and never opened as a page).
  useEffect(() => {
    const over = (e: DragEvent) => e.preventDefault();
    const drop = (e: DragEvent) => {
      e.preventDefault();
      const files = [...(e.dataTransfer?.files ?? [])].filter((f) => isImageFileName(f.name) || f.type.startsWith('image/'));
      if (files.length === 0) return;
      go('inspect');
      setSource('drop');
      void inspectFiles(files);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [go, setSource, inspectFiles]);

  return (
    <CameraProvider>
      <div className="app">
        <TopBar />
        <main>
          <ErrorBoundary key={screen} name={screen}>
            {screen === 'inspect' && <InspectScreen />}
            {screen === 'dashboard' && <DashboardScreen />}
            {screen === 'models' && <ModelsScreen />}
            {screen === 'thresholds' && <ThresholdsScreen />}
            {screen === 'review' && <ReviewScreen />}
            {screen === 'settings' && <SettingsScreen />}
          </ErrorBoundary>
        </main>
        <PinDialog />
        <Toasts />
        <NgAlert />
      </div>
    </CameraProvider>
  );
}
