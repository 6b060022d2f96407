/** Saves a file the page made (a PNG) or points the browser at one the server makes. */

export function downloadUrl(url: string, filename: string): void {
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
}

export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  downloadUrl(url, filename);
  // The download has started by then; the URL only keeps the blob in memory.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
