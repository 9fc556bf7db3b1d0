//! One collector for every facet count and the price range of the matching products, reading
//! single-valued fast columns: the category leaf ordinal (rolled up to ancestors afterwards),
//! one bitmask per attribute facet, and the price. An attribute facet with more than
//! [`MASK_BITS`] values falls back to its multi-valued ordinal column. Counts are exact: every
//! matching document is visited.

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnValues};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::{MASK_BITS, facet_field_name, mask_field_name};
use crate::filter::Facet;

/// Counts per facet ordinal, and the price range.
#[derive(Debug, Default, Clone)]
pub(crate) struct Aggregates {
    /// `counts[0][ord]`: matching products whose own category is `ord` (not rolled up);
    /// `counts[f][ord]` for `f >= 1`: matching products with value `ord` of `Facet::ALL[f]`.
    pub(crate) counts: Vec<Vec<u64>>,
    /// Lowest and highest price among matching products.
    pub(crate) price: Option<(f64, f64)>,
}

impl Aggregates {
    fn add(&mut self, other: Aggregates) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), Vec::new());
        }
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), 0);
            }
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
        self.price = match (self.price, other.price) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (p, None) | (None, p) => p,
        };
    }
}

/// Collects [`Aggregates`].
pub(crate) struct AggregateCollector {
    /// Number of values of each attribute facet ([`Facet::ATTRIBUTES`]), from the dictionaries.
    pub(crate) attribute_sizes: Vec<usize>,
}

/// How one attribute facet is read.
enum AttributeColumn {
    Mask(Arc<dyn ColumnValues<u64>>),
    Ordinals(Column<u64>),
}

pub(crate) struct AggregateSegment {
    category: Arc<dyn ColumnValues<u64>>,
    attributes: Vec<AttributeColumn>,
    price: Arc<dyn ColumnValues<f64>>,
    fruit: Aggregates,
    lowest: f64,
    highest: f64,
}

impl Collector for AggregateCollector {
    type Fruit = Aggregates;
    type Child = AggregateSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<AggregateSegment> {
        let fast = segment.fast_fields();
        let attributes = Facet::ATTRIBUTES
            .into_iter()
            .zip(&self.attribute_sizes)
            .map(|(facet, &size)| {
                Ok(if size <= MASK_BITS {
                    AttributeColumn::Mask(
                        fast.u64(&mask_field_name(facet))?.first_or_default_col(0),
                    )
                } else {
                    AttributeColumn::Ordinals(fast.u64(&facet_field_name(facet))?)
                })
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        let mut counts = vec![Vec::new(); Facet::ALL.len()];
        for (c, &size) in counts[1..].iter_mut().zip(&self.attribute_sizes) {
            c.resize(size, 0);
        }
        Ok(AggregateSegment {
            category: fast.u64("category_leaf")?.first_or_default_col(0),
            attributes,
            price: fast.f64("price")?.first_or_default_col(0.0),
            fruit: Aggregates {
                counts,
                price: None,
            },
            lowest: f64::INFINITY,
            highest: f64::NEG_INFINITY,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Aggregates>) -> tantivy::Result<Aggregates> {
        let mut total = Aggregates::default();
        for fruit in fruits {
            total.add(fruit);
        }
        Ok(total)
    }
}

fn bump(counts: &mut Vec<u64>, ord: usize) {
    if counts.len() <= ord {
        counts.resize(ord + 1, 0);
    }
    counts[ord] += 1;
}

impl SegmentCollector for AggregateSegment {
    type Fruit = Aggregates;

    fn collect(&mut self, doc: DocId, _: Score) {
        let counts = &mut self.fruit.counts;
        bump(&mut counts[0], self.category.get_val(doc) as usize);
        for (column, counts) in self.attributes.iter().zip(&mut counts[1..]) {
            match column {
                AttributeColumn::Mask(mask) => {
                    let mut bits = mask.get_val(doc);
                    while bits != 0 {
                        counts[bits.trailing_zeros() as usize] += 1;
                        bits &= bits - 1;
                    }
                }
                AttributeColumn::Ordinals(ords) => {
                    for ord in ords.values_for_doc(doc) {
                        bump(counts, ord as usize);
                    }
                }
            }
        }
        let price = self.price.get_val(doc);
        self.lowest = self.lowest.min(price);
        self.highest = self.highest.max(price);
    }

    fn harvest(mut self) -> Aggregates {
        if self.lowest <= self.highest {
            self.fruit.price = Some((self.lowest, self.highest));
        }
        self.fruit
    }
}
