import './zod-config';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { createI18n, initialLanguage } from './i18n';
import { msg } from './i18n/message';
import { connect } from './api/bridge';
import { createAppStore, startLiveFeeds } from './state/store';
import { AppProvider } from './lib/app-context';
import { App } from './App';
import './styles.css';

const language = initialLanguage();
const i18n = createI18n(language);
document.documentElement.lang = language;
const client = connect();
const store = createAppStore({ client });
const deps = { client };

store
  .getState()
  .loadSession()
  .then(() => store.getState().setConnection('open'))
  .then(() => store.getState().refreshModels())
  .catch((e: Error) => {
    store.getState().setConnection('closed', e.message);
    store.getState().notify('error', msg('errors.unreachable', { message: e.message }));
  });
startLiveFeeds(store, deps);

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing');
createRoot(root).render(
  <StrictMode>
    <I18nextProvider i18n={i18n}>
      <AppProvider store={store} client={client}>
        <App />
      </AppProvider>
    </I18nextProvider>
  </StrictMode>,
);
