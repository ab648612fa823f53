//! Text folding: any script in, lower-case Latin tokens out.
//!
//! Steps, in order, for every character:
//!
//! 1. **Arabic orthographic folding** (also Persian and Urdu letters): harakat (U+064B..U+065F,
//!    U+0670) and tatweel (U+0640) are removed; the hamza forms أ إ آ ٱ become ا, ؤ becomes و, ئ
//!    becomes ي and a lone ء is dropped; ta marbuta ة becomes ه; alif maqsura ى becomes ي; Persian
//!    ی ک become ي ك. Two spellings that differ only in these ways fold to the same letters.
//! 2. **Transliteration** of the folded Arabic letters to Latin, one letter at a time, with the
//!    common English digraphs (ش sh, خ kh, غ gh, ث th, ذ dh). Vowels are not written in Arabic, so a
//!    transliterated token is close to a consonant skeleton; the matcher compares such tokens by
//!    skeleton (see `key`), and Arabic-to-Arabic comparisons are exact because both sides went
//!    through the same folding. Cyrillic and Greek get a plain letter table too.
//! 3. **Unicode NFKD** and removal of combining marks (diacritics: é→e, ç→c, ñ→n), then case
//!    folding, and a few letters NFKD does not decompose (ß ss, æ ae, œ oe, ø o, ł l, đ d, ı i, þ th).
//! 4. **Punctuation**: apostrophes and similar marks (’ ‘ ` ´ ʼ ʻ ʿ ʾ) are deleted inside a token
//!    (`Mu'min` → `mumin`, `Qur'an`), everything else that is not a letter or digit separates
//!    tokens (hyphens, commas, dots, slashes, parentheses).
//!
//! The output keeps digits (they matter in entity names) and letters of scripts without a table
//! (CJK, Thai, Devanagari ...) as they are, lower-cased: those still match exactly.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// One token after folding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedToken {
    /// Lower-case Latin (or untouched other-script) text of the token.
    pub text: String,
    /// True when the token was written in Arabic script (its vowels are therefore missing).
    pub arabic: bool,
}

fn is_arabic(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// Arabic orthographic folding of one character. `None` deletes it.
fn fold_arabic(c: char) -> Option<char> {
    Some(match c {
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | '\u{06D6}'..='\u{06ED}' => return None,
        'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
        'ؤ' => 'و',
        'ئ' => 'ي',
        'ء' => return None,
        'ة' => 'ه',
        'ى' | 'ی' | 'ے' => 'ي',
        'ک' => 'ك',
        'ۀ' | 'ہ' | 'ھ' => 'ه',
        '٠'..='٩' => char::from_digit(c as u32 - '٠' as u32, 10)?,
        '۰'..='۹' => char::from_digit(c as u32 - '۰' as u32, 10)?,
        _ => c,
    })
}

/// Latin transliteration of one folded Arabic letter.
fn translit_arabic(c: char) -> &'static str {
    match c {
        'ا' => "a",
        'ب' => "b",
        'ت' => "t",
        'ث' => "th",
        'ج' => "j",
        'ح' => "h",
        'خ' => "kh",
        'د' => "d",
        'ذ' => "dh",
        'ر' => "r",
        'ز' => "z",
        'س' => "s",
        'ش' => "sh",
        'ص' => "s",
        'ض' => "d",
        'ط' => "t",
        'ظ' => "z",
        'ع' => "a",
        'غ' => "gh",
        'ف' => "f",
        'ق' => "q",
        'ك' => "k",
        'ل' => "l",
        'م' => "m",
        'ن' => "n",
        'ه' => "h",
        'و' => "w",
        'ي' => "y",
        'پ' => "p",
        'چ' => "ch",
        'ژ' => "zh",
        'گ' => "g",
        'ڤ' => "v",
        _ => "",
    }
}

fn translit_other(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'э' => "e",
        'ё' => "yo",
        'ж' => "zh",
        'з' => "z",
        'и' | 'й' | 'ы' | 'і' => "i",
        'ї' => "yi",
        'є' => "ye",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ю' => "yu",
        'я' => "ya",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'ı' => "i",
        'þ' => "th",
        'α' => "a",
        'β' => "b",
        'γ' => "g",
        'δ' => "d",
        'ε' => "e",
        'ζ' => "z",
        'η' => "i",
        'θ' => "th",
        'ι' => "i",
        'κ' => "k",
        'λ' => "l",
        'μ' => "m",
        'ν' => "n",
        'ξ' => "x",
        'ο' => "o",
        'π' => "p",
        'ρ' => "r",
        'σ' | 'ς' => "s",
        'τ' => "t",
        'υ' => "y",
        'φ' => "f",
        'χ' => "ch",
        'ψ' => "ps",
        'ω' => "o",
        _ => return None,
    })
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '’' | '‘' | '`' | '´' | 'ʼ' | 'ʻ' | 'ʿ' | 'ʾ' | '′'
    )
}

/// Folds a string into tokens (see the module documentation for the steps).
pub fn fold(s: &str) -> Vec<FoldedToken> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_arabic = false;
    let flush = |cur: &mut String, arabic: &mut bool, out: &mut Vec<FoldedToken>| {
        if !cur.is_empty() {
            out.push(FoldedToken {
                text: std::mem::take(cur),
                arabic: *arabic,
            });
        }
        *arabic = false;
    };
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if is_arabic(c) {
            let Some(f) = fold_arabic(c) else { continue };
            if f.is_ascii_digit() {
                cur.push(f);
                continue;
            }
            let t = translit_arabic(f);
            if t.is_empty() {
                // Arabic punctuation (، ؛ ؟) and unknown signs separate tokens.
                if !f.is_alphabetic() {
                    flush(&mut cur, &mut cur_arabic, &mut out);
                }
                continue;
            }
            cur.push_str(t);
            cur_arabic = true;
            continue;
        }
        if is_apostrophe(c) {
            continue;
        }
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                match translit_other(l) {
                    Some(t) => cur.push_str(t),
                    None => cur.push(l),
                }
            }
        } else {
            flush(&mut cur, &mut cur_arabic, &mut out);
        }
    }
    flush(&mut cur, &mut cur_arabic, &mut out);
    out
}

/// Folds a string and joins its tokens with single spaces (for comparing countries, documents).
pub fn fold_joined(s: &str) -> String {
    let toks = fold(s);
    let mut out = String::with_capacity(s.len());
    for (i, t) in toks.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        fold(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn latin_diacritics_case_and_punctuation() {
        assert_eq!(
            texts("Forces Démocratiques-Alliées"),
            ["forces", "democratiques", "alliees"]
        );
        assert_eq!(texts("MU'MIN, Ça"), ["mumin", "ca"]);
        assert_eq!(texts("Straße Øre"), ["strasse", "ore"]);
    }

    #[test]
    fn arabic_orthographic_variants_fold_together() {
        // hamza on alif, ta marbuta vs ha, alif maqsura vs ya, harakat and tatweel
        assert_eq!(texts("أسامة"), texts("اسامه"));
        assert_eq!(texts("مصطفى"), texts("مصطفي"));
        assert_eq!(texts("مُحَمَّد"), texts("محـــمد"));
        assert_eq!(texts("إبراهيم"), texts("ابراهيم"));
        assert_eq!(texts("محمد"), ["mhmd"]);
        assert!(fold("محمد")[0].arabic);
    }

    #[test]
    fn cyrillic_is_transliterated() {
        assert_eq!(texts("Игорь Сергеевич"), ["igor", "sergeevich"]);
    }
}
