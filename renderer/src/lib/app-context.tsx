// The store and client, provided to components. Components select single fields (or use useShallow) so a change
// elsewhere in the store does not re-render them.
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { Client } from '../../../shared/client';
import type { AppStore } from '../state/store';
import type { AppState } from '../state/types';

interface AppContextValue {
  store: AppStore;
  client: Client;
}

const AppContext = createContext<AppContextValue | null>(null);

export function AppProvider({ store, client, children }: AppContextValue & { children: ReactNode }) {
  return <AppContext.Provider value={{ store, client }}>{children}</AppContext.Provider>;
}

function useAppContext(): AppContextValue {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('AppProvider is missing');
  return ctx;
}

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useAppContext().store, selector);
}

export function useClient(): Client {
  return useAppContext().client;
}

/** Several fields of the state at once, re-rendering only when one of them changes (shallow comparison). */
export function usePick<K extends keyof AppState>(...keys: K[]): Pick<AppState, K> {
  return useApp(useShallow((s) => Object.fromEntries(keys.map((k) => [k, s[k]])) as Pick<AppState, K>));
}
