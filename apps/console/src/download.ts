import { ApiRefusal, inWords, type Problem } from './api';
import { currentToken } from './session';

/** The file name a Content-Disposition header gives, or `fallback`. */
function fileNameOf(disposition: string | null, fallback: string): string {
  const name = /filename="([^"]+)"/.exec(disposition ?? '')?.[1];
  return name && !/[/\\]/.test(name) ? name : fallback;
}

/**
 * Downloads a file of the API with the signed-in user's token in the Authorization header (never in the URL):
 * fetched, then saved from a Blob object URL.
 */
export async function downloadWithToken(path: string, fallbackName: string): Promise<void> {
  const token = currentToken();
  let response: Response;
  try {
    response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch {
    throw new ApiRefusal(0, 'The API could not be reached. Check that the service is running.');
  }
  if (!response.ok) {
    let problem: Problem = {};
    try {
      problem = (await response.json()) as Problem;
    } catch {
      // not problem+json: the status says enough
    }
    throw new ApiRefusal(response.status, inWords(response.status, problem));
  }
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
