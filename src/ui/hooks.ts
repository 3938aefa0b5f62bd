import { useStdout } from 'ink';
import { createContext, useContext, useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { FleetState } from '../state/store.js';
import type { Dashboard } from './dashboard.js';
import type { FeedState } from './state/feed-store.js';
import type { UiActions } from './state/ui-store.js';
import type { UiState } from './state/ui-types.js';

/** The dashboard model, provided by `App`. */
export const DashboardContext = createContext<Dashboard | undefined>(undefined);

/** The dashboard model of the enclosing `App`. */
export function useDashboard(): Dashboard {
  const dashboard = useContext(DashboardContext);
  if (!dashboard) throw new Error('a dashboard component was rendered outside <App>');
  return dashboard;
}

/** A slice of the fleet's (throttled) state; the selector must return a primitive or a stable reference. */
export function useFleet<T>(selector: (state: FleetState) => T): T {
  return useStore(useDashboard().fleet, selector);
}

/** A slice of the UI state; the selector must return a primitive or a stable reference. */
export function useUi<T>(selector: (state: UiState & UiActions) => T): T {
  return useStore(useDashboard().ui, selector);
}

/** A slice of the fetched text (preview, log). */
export function useFeeds<T>(selector: (state: FeedState) => T): T {
  return useStore(useDashboard().feeds, selector);
}

/** The shared clock (ms since epoch), ticking once a second. */
export function useNow(): number {
  return useStore(useDashboard().clock);
}

/** The terminal's size, following resizes. Falls back to 80x24 when the output is not a terminal. */
export function useTerminalSize(): { readonly columns: number; readonly rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => {
      const next = read();
      setSize((previous) => (previous.columns === next.columns && previous.rows === next.rows ? previous : next));
    };
    stdout.on('resize', onResize);
    onResize();
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
