//! A product's hit card: what a hit needs to render and to be highlighted (the stored
//! summary and the text of every source), in one stored field of a compact binary layout.
//!
//! Why not tantivy's stored text fields and a JSON summary: every hit of a page read them,
//! and deserialising a document of a dozen values (one allocation and one UTF-8 check each)
//! plus parsing the JSON was an eighth of a search served over HTTP. A card is one bytes
//! value, read back with a bounds-checked cursor.
//!
//! Layout (little-endian; a string is a `u32` byte length then UTF-8; an option is a `u8`
//! flag then its value when the flag is 1):
//! `id, slug, name, image?, price f64, compare_price f64?, category u32, stock i64,
//! rating f64?, review_count u32, featured u8, text count u8, texts…`

use super::StoredHit;

/// The card of a hit: its summary and one text per text source.
pub(crate) fn encode(hit: &StoredHit, texts: &[String]) -> Vec<u8> {
    let size = 64 + hit.id.len() + hit.slug.len() + hit.name.len();
    let size = size + texts.iter().map(|t| 4 + t.len()).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    put_str(&mut out, &hit.id);
    put_str(&mut out, &hit.slug);
    put_str(&mut out, &hit.name);
    put_option(&mut out, hit.image.as_deref(), put_str);
    out.extend_from_slice(&hit.price.to_le_bytes());
    put_option(&mut out, hit.compare_price, |out, v| {
        out.extend_from_slice(&v.to_le_bytes())
    });
    out.extend_from_slice(&(hit.category as u32).to_le_bytes());
    out.extend_from_slice(&hit.stock.to_le_bytes());
    put_option(&mut out, hit.rating, |out, v| {
        out.extend_from_slice(&v.to_le_bytes())
    });
    out.extend_from_slice(&hit.review_count.to_le_bytes());
    out.push(u8::from(hit.featured));
    out.push(u8::try_from(texts.len()).expect("a handful of text sources"));
    for text in texts {
        put_str(&mut out, text);
    }
    out
}

/// Reads a card back; an error names what is wrong with it.
pub(crate) fn decode(bytes: &[u8]) -> Result<(StoredHit, Vec<String>), String> {
    let mut at = Cursor { bytes, at: 0 };
    let hit = StoredHit {
        id: at.string()?,
        slug: at.string()?,
        name: at.string()?,
        image: at.option(Cursor::string)?,
        price: at.f64()?,
        compare_price: at.option(Cursor::f64)?,
        category: at.u32()? as usize,
        stock: i64::from_le_bytes(at.array()?),
        rating: at.option(Cursor::f64)?,
        review_count: at.u32()?,
        featured: at.flag()?,
    };
    let count = at.array::<1>()?[0];
    let texts = (0..count)
        .map(|_| at.string())
        .collect::<Result<Vec<_>, _>>()?;
    if at.at != bytes.len() {
        return Err(format!(
            "a hit card has {} bytes after its end",
            bytes.len() - at.at
        ));
    }
    Ok((hit, texts))
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let len = u32::try_from(s.len()).expect("a product text under 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_option<T>(out: &mut Vec<u8>, value: Option<T>, put: impl FnOnce(&mut Vec<u8>, T)) {
    match value {
        None => out.push(0),
        Some(value) => {
            out.push(1);
            put(out, value);
        }
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("a hit card ends early, at byte {}", self.at))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let taken = self.take(N)?;
        Ok(taken.try_into().expect("take returns N bytes"))
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    fn flag(&mut self) -> Result<bool, String> {
        match self.array::<1>()?[0] {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!(
                "a hit card has flag {other} at byte {}",
                self.at - 1
            )),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let len = self.u32()? as usize;
        let at = self.at;
        let bytes = self.take(len)?;
        let text = std::str::from_utf8(bytes)
            .map_err(|e| format!("a hit card's text at byte {at} is not UTF-8: {e}"))?;
        Ok(text.to_owned())
    }

    fn option<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        Ok(if self.flag()? {
            Some(read(self)?)
        } else {
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(image: Option<&str>, compare_price: Option<f64>, rating: Option<f64>) -> StoredHit {
        StoredHit {
            id: "p42".to_owned(),
            slug: "lampe-laiton-42".to_owned(),
            name: "Lampe à poser « Hélios »".to_owned(),
            price: 129.9,
            compare_price,
            category: 17,
            image: image.map(str::to_owned),
            stock: -3,
            rating,
            review_count: 12,
            featured: true,
        }
    }

    fn texts() -> Vec<String> {
        [
            "Lampe à poser « Hélios »",
            "Luminaires · Lampes",
            "",
            "VIVR",
            "laiton · doré",
            "Une lampe…",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    #[test]
    fn a_card_reads_back_as_it_was_written() {
        for hit in [
            hit(Some("https://img/1.jpg"), Some(159.0), Some(4.5)),
            hit(None, None, None),
        ] {
            let card = encode(&hit, &texts());
            assert_eq!(decode(&card), Ok((hit, texts())));
        }
        let empty = StoredHit {
            featured: false,
            ..hit(None, None, None)
        };
        assert_eq!(decode(&encode(&empty, &[])), Ok((empty, Vec::new())));
    }

    #[test]
    fn a_cut_or_damaged_card_is_an_error_not_a_panic() {
        let card = encode(&hit(Some("i.jpg"), Some(1.0), Some(2.0)), &texts());
        for end in 0..card.len() {
            assert!(decode(&card[..end]).is_err(), "cut at {end}");
        }
        let mut longer = card.clone();
        longer.push(0);
        assert!(decode(&longer).unwrap_err().contains("after its end"));
        // The image flag follows the three strings; 7 is neither absent nor present.
        let flag = 3 * 4 + "p42".len() + "lampe-laiton-42".len() + "Lampe à poser « Hélios »".len();
        let mut bad_flag = card.clone();
        bad_flag[flag] = 7;
        assert!(decode(&bad_flag).unwrap_err().contains("flag 7"));
        let mut bad_text = card;
        bad_text[4] = 0xff;
        assert!(decode(&bad_text).unwrap_err().contains("not UTF-8"));
    }
}
