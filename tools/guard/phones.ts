import { findPhoneNumbersInText } from "libphonenumber-js";

export type FoundPhone = ReturnType<typeof findPhoneNumbersInText>[number];

/** No phone number of any country has fewer digits than this (country code included). */
const MIN_PHONE_DIGITS = 6;

/** Citation markers such as "[1]" or "[2, 3]". */
const BRACKETED_DIGITS = /\[[\d\s,;]*\]/g;

/**
 * Phone numbers in a text (French writings by default, international ones with their prefix), with their
 * offsets in `text`.
 *
 * libphonenumber reads brackets as part of a number, so "01 23 45 67 89 [1]" would be one invalid 11-digit
 * candidate and the number would go unseen: citation markers are blanked (same length, offsets unchanged)
 * before the scan. A text with too few digits to hold a number is not scanned at all (the scan is costly).
 */
export function findPhoneNumbers(text: string): FoundPhone[] {
  const digit = /\p{Nd}/gu;
  let digits = 0;
  while (digits < MIN_PHONE_DIGITS && digit.exec(text)) digits++;
  if (digits < MIN_PHONE_DIGITS) return [];
  return findPhoneNumbersInText(text.replace(BRACKETED_DIGITS, (marker) => " ".repeat(marker.length)), "FR");
}
