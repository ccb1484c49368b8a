//! The one DER reader Hallmark needs: a tag, a definite length (up to four
//! octets), the contents; never more than the input.

/// One DER TLV: its tag, contents, the whole TLV, and what follows.
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub body: &'a [u8],
    pub whole: &'a [u8],
    pub rest: &'a [u8],
}

pub(crate) fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    if input.len() < end {
        return None;
    }
    Some(Tlv {
        tag,
        body: &input[header..end],
        whole: &input[..end],
        rest: &input[end..],
    })
}

#[cfg(test)]
mod tests {
    use super::tlv;

    #[test]
    fn reads_short_and_long_lengths_and_never_past_the_input() {
        let t = tlv(&[0x30, 0x02, 0xAA, 0xBB, 0x01]).expect("a TLV");
        assert_eq!(
            (t.tag, t.body, t.whole, t.rest),
            (
                0x30,
                &[0xAA, 0xBB][..],
                &[0x30, 0x02, 0xAA, 0xBB][..],
                &[0x01][..]
            )
        );
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend(std::iter::repeat_n(7u8, 256));
        assert_eq!(tlv(&long).expect("long form").body.len(), 256);
        assert!(
            tlv(&[0x30, 0x05, 0x00]).is_none(),
            "a length past the input"
        );
        assert!(
            tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none(),
            "a length of five octets"
        );
        assert!(tlv(&[0x30, 0x80]).is_none(), "indefinite length");
        assert!(tlv(&[0x30]).is_none());
    }
}
