import { useEffect, useState } from 'react';
import { ApiRefusal, getJson } from './api';

export type Loaded<T> =
  { state: 'loading' } | { state: 'done'; value: T } | { state: 'refused'; message: string; status: number };

/** GETs `path` (null: nothing to load) and follows it as it changes; a stale answer never replaces a newer one. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    if (path === null) return;
    let current = true;
    setLoaded({ state: 'loading' });
    getJson<T>(path).then(
      (value) => current && setLoaded({ state: 'done', value }),
      (error: unknown) =>
        current &&
        setLoaded({
          state: 'refused',
          status: error instanceof ApiRefusal ? error.status : 0,
          message: error instanceof Error ? error.message : String(error),
        }),
    );
    return () => {
      current = false;
    };
  }, [path]);
  return loaded;
}
