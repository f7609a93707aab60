import { inWords, request, type Problem } from './api';

/** The file name a Content-Disposition header gives, or `fallback`. */
function fileNameOf(disposition: string | null, fallback: string): string {
  const name = /filename="([^"]+)"/.exec(disposition ?? '')?.[1];
  return name && !/[/\\]/.test(name) ? name : fallback;
}

/**
 * Downloads a file of the API with the signed-in user's token in the Authorization header (never in the URL):
 * fetched, then saved from a Blob object URL.
 */
export async function downloadWithToken(
  path: string,
  fallbackName: string,
  accept = '*/*',
  describe: (status: number, problem: Problem) => string = inWords,
): Promise<void> {
  const response = await request(path, { headers: { Accept: accept } }, describe);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = fileNameOf(response.headers.get('Content-Disposition'), fallbackName);
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // The click has handed the blob to the browser's download; the URL is no longer needed.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}
