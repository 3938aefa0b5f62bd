import { createStore, type StoreApi } from 'zustand/vanilla';

/** Text fetched for one job (a pane capture, a log tail), already sanitized for the terminal. */
export interface TextFeed {
  readonly jobKey: string;
  /** Sanitized lines, last line last. */
  readonly lines: readonly string[];
  /** Why the last fetch failed (sanitized); the previous lines stay. */
  readonly error: string | undefined;
  /** When the lines were fetched (ms since epoch). */
  readonly at: number;
}

/** Text the dashboard fetches on demand: only for the selected job, only while it is shown. */
export interface FeedState {
  readonly preview: TextFeed | undefined;
  readonly log: TextFeed | undefined;
  /** The open diff view's text (`d`), first line first. */
  readonly diff?: TextFeed | undefined;
  /** The selected worker's container log while the worker detail shows it (`jobKey` holds the worker's name). */
  readonly containerLog?: TextFeed | undefined;
}

/** The feed store. */
export type FeedStore = StoreApi<FeedState>;

/** Creates an empty feed store. */
export function createFeedStore(initial: Partial<FeedState> = {}): FeedStore {
  return createStore<FeedState>()(() => ({ preview: undefined, log: undefined, ...initial }));
}
