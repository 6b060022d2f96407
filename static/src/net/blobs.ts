/**
 * Image uploads (PROTOCOL.md 1.1, "Blobs"). The bytes go to the board by HTTP, once, and the
 * board's elements name them by their SHA-256; they never pass through the WebSocket or the
 * tick. XMLHttpRequest rather than fetch: it is the one that reports upload progress.
 */
import { formatNumber, language, t } from "../i18n/i18n";

export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** The server's answer to an upload: the blob's name, its type and size in pixels and bytes. */
export interface StoredBlob {
  blob: string;
  type: ImageType;
  w: number;
  h: number;
  bytes: number;
}

/** An upload that failed; `message` is a sentence a person can read. */
export class UploadFailure extends Error {}

export const BLOB_PATTERN = /^[0-9a-f]{64}$/;

const boardPath = (board: string): string => `/api/boards/${encodeURIComponent(board)}`;

/** Where the board serves a blob's bytes. */
export const blobUrl = (board: string, blob: string): string => `${boardPath(board)}/blobs/${blob}`;

/**
 * The image type the first bytes show, or null. A file's name and the browser's guess from it
 * can be wrong (a JPEG saved as .png); the server checks the bytes against the type sent, so
 * the type sent is the one the bytes say.
 */
export function sniffImageType(b: Uint8Array): ImageType | null {
  const starts = (...sig: number[]): boolean => sig.every((v, i) => b[i] === v);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61)
    return "image/gif";
  const riff = starts(0x52, 0x49, 0x46, 0x46);
  if (riff && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50)
    return "image/webp";
  return null;
}

/** "10 MB", "1,5 MB": a size as the visitor's language writes the number. */
export const fmtBytes = (n: number): string =>
  n >= 1 << 20
    ? `${formatNumber(n / (1 << 20), { maximumFractionDigits: n >= 10 << 20 ? 0 : 1 })} MB`
    : `${formatNumber(Math.max(1, Math.round(n / 1024)))} KB`;

/** Statuses with a sentence of their own (upload.<status> in the locale files). */
const KNOWN_STATUS = new Set([0, 400, 403, 404, 413]);

/** What a refusal means for the person at the board, when the server gave no sentence. */
export function uploadFailureText(status: number): string {
  return KNOWN_STATUS.has(status) ? t(`upload.${status}`) : t("upload.other", { status });
}

/**
 * Why an upload failed, in words. The server's `{error}` sentence is English: it is shown as it
 * is to English readers (it says the most, like i18n's httpReason), and every other language
 * gets the sentence for the status code.
 */
function failureText(status: number, sentence: string | null): string {
  return sentence && language() === "en" ? sentence : uploadFailureText(status);
}

/** The server's `{error}` sentence from a JSON body, if it has one. */
function serverSentence(body: string): string | null {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v === "object" && v !== null && "error" in v && typeof v.error === "string")
      return v.error;
  } catch {
    // not JSON: a proxy's page, say
  }
  return null;
}

function parseStored(body: string): StoredBlob | null {
  try {
    const v = JSON.parse(body) as Record<string, unknown>;
    const ok =
      typeof v["blob"] === "string" &&
      BLOB_PATTERN.test(v["blob"]) &&
      (IMAGE_TYPES as readonly unknown[]).includes(v["type"]) &&
      typeof v["w"] === "number" &&
      v["w"] > 0 &&
      typeof v["h"] === "number" &&
      v["h"] > 0 &&
      typeof v["bytes"] === "number";
    return ok ? (v as unknown as StoredBlob) : null;
  } catch {
    return null;
  }
}

export interface Upload {
  readonly done: Promise<StoredBlob>;
  abort(): void;
}

/**
 * Sends `data` to the board as a blob of `type`. `onProgress` gets the fraction sent (0..1).
 * `done` rejects with an UploadFailure whose message says why in words.
 */
export function uploadBlob(
  board: string,
  data: Blob,
  type: ImageType,
  key: string | null,
  onProgress: (fraction: number) => void = () => {},
): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<StoredBlob>((resolve, reject) => {
    xhr.open("POST", `${boardPath(board)}/blobs`);
    xhr.setRequestHeader("Content-Type", type);
    xhr.setRequestHeader("Accept", "application/json");
    if (key) xhr.setRequestHeader("X-Edit-Key", key);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status === 200 || xhr.status === 201) {
        const stored = parseStored(xhr.responseText);
        if (stored) resolve(stored);
        else reject(new UploadFailure(t("upload.unreadable")));
        return;
      }
      reject(new UploadFailure(failureText(xhr.status, serverSentence(xhr.responseText))));
    };
    xhr.onerror = () => reject(new UploadFailure(uploadFailureText(0)));
    xhr.onabort = () => reject(new UploadFailure(t("upload.cancelled")));
    xhr.send(data);
  });
  return { done, abort: () => xhr.abort() };
}
