// An object URL for a record's image or heatmap thumbnail, fetched through the contract and released on unmount.
import { useEffect, useState } from 'react';
import { useClient } from './app-context';

export function useRecordImage(id: number | null, kind: 'image' | 'heatmap'): string | null {
  const client = useClient();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (id === null) return;
    let alive = true;
    let made: string | null = null;
    client
      .call('records.image', { id, kind })
      .then(({ mime, bytes }) => {
        if (!alive) return;
        made = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: mime }));
        setUrl(made);
      })
      .catch(() => alive && setUrl(null));
    return () => {
      alive = false;
      if (made) URL.revokeObjectURL(made);
      setUrl(null);
    };
  }, [client, id, kind]);
  return url;
}
