import './zod-config';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from './api/bridge';
import { createAppStore, startLiveFeeds } from './state/store';
import { AppProvider } from './lib/app-context';
import { App } from './App';
import './styles.css';

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
    store.getState().notify('error', `Cannot reach the workstation: ${e.message}`);
  });
startLiveFeeds(store, deps);

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing');
createRoot(root).render(
  <StrictMode>
    <AppProvider store={store} client={client}>
      <App />
    </AppProvider>
  </StrictMode>,
);
