/**
 * Lower-case Cyrillic, Greek and Latin-extension letters that render like ASCII letters (facts from Unicode's
 * confusables.txt, restricted to the lookalikes attackers use to dodge keyword filters). NFKC already folds
 * full-width, mathematical and circled letters; this table covers what NFKC keeps apart.
 */
export const CONFUSABLES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    // Cyrillic
    а: 'a', в: 'b', е: 'e', ё: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', ѕ: 's', т: 't',
    у: 'y', х: 'x', ԁ: 'd', ԛ: 'q', ԝ: 'w', ӏ: 'l', ɡ: 'g', ь: 'b', п: 'n', г: 'r', ц: 'u', д: 'a',
    // Greek
    α: 'a', β: 'b', γ: 'y', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w', ς: 'c', ϲ: 'c',
    // Latin extensions and IPA
    ɑ: 'a', ı: 'i', ȷ: 'j', ɩ: 'i', ɪ: 'i', ʟ: 'l', ɴ: 'n', ʀ: 'r', ꜱ: 's', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ᴋ: 'k', ᴍ: 'm', ᴏ: 'o', ᴘ: 'p',
    ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ᴢ: 'z', ʏ: 'y', ɢ: 'g', ʜ: 'h',
  }),
);

/** Digits and symbols read as letters inside words ("1gn0r3", "pa$$w0rd"). */
export const LEET: ReadonlyMap<string, string> = new Map(
  Object.entries({ '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's', '!': 'i', '|': 'l' }),
);

/** Leet characters that are ordinary punctuation at a word's edge, so they fold only between letters. */
export const LEET_INNER_ONLY = new Set(['$', '!', '|']);
