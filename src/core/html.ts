/**
 * Escaping text for HTML, in element text and in quoted attribute values alike: the five
 * characters that can end a text run or an attribute (the set Python's `html.escape` uses).
 * Every page ferry writes (the simple index, the web pages, the review report) goes through it.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
