//! Bounded edit distance (optimal string alignment: insertions, deletions, substitutions and
//! transpositions of adjacent letters, each counting one).

/// The optimal-string-alignment distance between `a` and `b` if it is at most `max`, else `None`.
///
/// Works on `char`s; returns early as soon as every cell of a row exceeds `max`, so a bound of one
/// or two edits costs little more than a comparison.
pub fn bounded_osa(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    osa_chars(&a, &b, max)
}

pub(crate) fn osa_chars(a: &[char], b: &[char], max: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    if n == 0 || m == 0 {
        return Some(n.max(m));
    }
    // Three rolling rows: previous-previous, previous, current. Names' tokens are short, so the
    // rows live on the stack up to 31 letters; longer tokens take the heap.
    let mut stack = [[0usize; 32]; 3];
    let mut heap: Vec<Vec<usize>>;
    let [pp, p, c]: [&mut [usize]; 3] = if m < 32 {
        let [a, b, d] = &mut stack;
        [&mut a[..=m], &mut b[..=m], &mut d[..=m]]
    } else {
        heap = vec![vec![0usize; m + 1]; 3];
        let [a, b, d] = &mut heap[..] else {
            unreachable!("three rows")
        };
        [&mut a[..], &mut b[..], &mut d[..]]
    };
    let (mut pp, mut p, mut c) = (pp, p, c);
    for (j, v) in p.iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=n {
        c[0] = i;
        let mut row_min = c[0];
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (p[j] + 1).min(c[j - 1] + 1).min(p[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(pp[j - 2] + 1);
            }
            c[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut pp, &mut p);
        std::mem::swap(&mut p, &mut c);
    }
    let d = p[m];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(bounded_osa("baghdadi", "baghdadi", 2), Some(0));
        assert_eq!(bounded_osa("baghdadi", "bagdhadi", 2), Some(1));
        assert_eq!(bounded_osa("baghdadi", "bahgdai", 2), Some(2));
        assert_eq!(bounded_osa("zarqawi", "zarkawy", 1), None);
        assert_eq!(bounded_osa("abc", "", 3), Some(3));
        assert_eq!(bounded_osa("kitten", "sitting", 2), None);
        assert_eq!(bounded_osa("kitten", "sitting", 3), Some(3));
    }
}
