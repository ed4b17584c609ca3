/** Turns the bytes of a review (or any text file) into a clean string. */

const utf8 = new TextDecoder('utf-8');
const windows1252 = new TextDecoder('windows-1252');

/**
 * UTF-8 (a BOM is dropped), with a fallback to Windows-1252 for the few files that are not valid
 * UTF-8 rather than showing replacement characters; CRLF and CR become LF.
 */
export function decodeText(bytes: Uint8Array): string {
  let text = utf8.decode(bytes);
  if (text.includes('\uFFFD') && !isValidUtf8(bytes)) text = windows1252.decode(bytes);
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
