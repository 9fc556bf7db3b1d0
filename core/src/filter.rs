//! What a request may narrow its products to, in two forms:
//! - [`Filters`], as a caller writes it (category slug, prices, values as typed), with [`Sort`]:
//!   the request types of the engine's public interface;
//! - [`ProductFilter`], the same filters resolved against one generation's dictionaries
//!   (ordinals), which the lexical query, the vector scan and the recommendation picker all
//!   read. The engine resolves a request once per generation (`search::Live::resolve`).
//!
//! [`Facet`] is the one name of a facet everywhere: the catalog's attributes, the index's
//! ordinal fields, the intent lexicon, the filters and the facet counts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A facet of the catalog: the category and the four attribute facets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Facet {
    /// The product's category (and its ancestors).
    Category,
    /// `color` attribute.
    Color,
    /// `material` attribute.
    Material,
    /// `style` attribute.
    Style,
    /// `room` attribute.
    Room,
}

impl Facet {
    /// Every facet, in the order facet counts are listed.
    pub const ALL: [Facet; 5] = [
        Facet::Category,
        Facet::Color,
        Facet::Material,
        Facet::Style,
        Facet::Room,
    ];

    /// The attribute facets (the catalog's `attributes` keys that are facets).
    pub const ATTRIBUTES: [Facet; 4] = [Facet::Color, Facet::Material, Facet::Style, Facet::Room];

    /// The facet's key in the export format, the API and the index.
    pub fn key(self) -> &'static str {
        match self {
            Facet::Category => "category",
            Facet::Color => "color",
            Facet::Material => "material",
            Facet::Style => "style",
            Facet::Room => "room",
        }
    }

    /// The facet of a key.
    pub fn from_key(key: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The attribute facet of a key (`None` for `category` and unknown keys).
    pub fn attribute(key: &str) -> Option<Facet> {
        Facet::from_key(key).filter(|f| *f != Facet::Category)
    }

    /// Position in [`Facet::ATTRIBUTES`]; `None` for [`Facet::Category`].
    pub fn attribute_index(self) -> Option<usize> {
        Facet::ATTRIBUTES.iter().position(|f| *f == self)
    }
}

/// Sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best text match first; ties by popularity.
    #[default]
    Relevance,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
    /// Most recent `createdAt` first.
    Newest,
    /// Most units sold over the last 90 days first.
    Popular,
    /// Best average rating first.
    Rating,
}

/// A request's filters, as the caller writes them; all must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// Category slug; subcategories included.
    pub category: Option<String>,
    /// Lowest price, inclusive.
    pub min_price: Option<f64>,
    /// Highest price, inclusive.
    pub max_price: Option<f64>,
    /// Only products in stock (`true`) or out of stock (`false`).
    pub in_stock: Option<bool>,
    /// Only featured (`true`) or non-featured (`false`) products.
    pub featured: Option<bool>,
    /// Attribute values per facet key; any value of a key, every key.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Value ordinals of a product's attribute facets, one list per [`Facet::ATTRIBUTES`] entry.
pub type AttributeOrds = [Vec<u32>; 4];

/// Filters resolved against one generation: category and attribute values as the ordinals of
/// its dictionaries. A slug or value the generation does not know cannot match, so a filter
/// naming only such values lets nothing through ([`ProductFilter::nothing`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductFilter {
    /// Nothing passes.
    pub nothing: bool,
    /// A category ordinal the product must be in (subcategories included).
    pub category: Option<u32>,
    /// Category ordinals the product must not be in (subcategories included).
    pub exclude_categories: Vec<u32>,
    /// Lowest price, inclusive.
    pub min_price: Option<f64>,
    /// Highest price, inclusive.
    pub max_price: Option<f64>,
    /// Only products in stock (`true`) or out of stock (`false`).
    pub in_stock: Option<bool>,
    /// Only featured (`true`) or non-featured (`false`) products.
    pub featured: Option<bool>,
    /// Per attribute facet, the value ordinals of which the product must have one.
    pub attributes: Vec<(Facet, Vec<u32>)>,
}

/// What a [`ProductFilter`] reads of one product.
#[derive(Debug, Clone, Copy)]
pub struct ProductFacts<'a> {
    /// Category ordinals: the product's own category and every ancestor.
    pub categories: &'a [u32],
    /// Price in euros.
    pub price: f64,
    /// Units in stock.
    pub stock: i64,
    /// Featured by the store.
    pub featured: bool,
    /// Value ordinals per attribute facet.
    pub attributes: &'a AttributeOrds,
}

impl ProductFilter {
    /// A filter nothing passes.
    pub fn nothing() -> ProductFilter {
        ProductFilter {
            nothing: true,
            ..ProductFilter::default()
        }
    }

    /// Whether the filter lets every product through.
    pub fn is_everything(&self) -> bool {
        *self == ProductFilter::default()
    }

    /// Whether a product passes.
    pub fn accepts(&self, product: ProductFacts) -> bool {
        self.accepts_numbers(product.price, product.stock > 0, product.featured)
            && (!self.reads_lists() || self.accepts_lists(product))
    }

    /// Whether a product with these numbers can pass: [`ProductFilter::accepts`] but for the
    /// lists, which decide only when [`ProductFilter::reads_lists`]. A scan of a million rows
    /// checks the numbers from a packed copy and reaches for a row's lists (a cache miss or
    /// two) only when the filter reads them.
    #[inline]
    pub fn accepts_numbers(&self, price: f64, in_stock: bool, featured: bool) -> bool {
        !self.nothing
            && self.min_price.is_none_or(|p| price >= p)
            && self.max_price.is_none_or(|p| price <= p)
            && self.in_stock.is_none_or(|s| s == in_stock)
            && self.featured.is_none_or(|f| f == featured)
    }

    /// Whether a product priced between `low` and `high` (inclusive) could pass the price
    /// bounds: whether the two ranges meet.
    #[inline]
    pub fn accepts_price_range(&self, low: f64, high: f64) -> bool {
        self.max_price.is_none_or(|p| low <= p) && self.min_price.is_none_or(|p| high >= p)
    }

    /// Whether the filter reads a product's categories or attribute values.
    #[inline]
    pub fn reads_lists(&self) -> bool {
        self.category.is_some()
            || !self.exclude_categories.is_empty()
            || !self.attributes.is_empty()
    }

    /// Whether a product's categories and attribute values pass (its numbers not checked).
    pub fn accepts_lists(&self, product: ProductFacts) -> bool {
        self.category
            .is_none_or(|c| product.categories.contains(&c))
            && !product
                .categories
                .iter()
                .any(|c| self.exclude_categories.contains(c))
            && self.attributes.iter().all(|(facet, wanted)| {
                facet
                    .attribute_index()
                    .is_some_and(|i| wanted.iter().any(|w| product.attributes[i].contains(w)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product<'a>(categories: &'a [u32], attributes: &'a AttributeOrds) -> ProductFacts<'a> {
        ProductFacts {
            categories,
            price: 120.0,
            stock: 3,
            featured: false,
            attributes,
        }
    }

    #[test]
    fn facet_keys_round_trip() {
        for facet in Facet::ALL {
            assert_eq!(Facet::from_key(facet.key()), Some(facet));
        }
        assert_eq!(Facet::attribute("category"), None);
        assert_eq!(Facet::attribute("room"), Some(Facet::Room));
        assert_eq!(Facet::from_key("size"), None);
        assert_eq!(Facet::Material.attribute_index(), Some(1));
    }

    #[test]
    fn every_clause_must_hold() {
        let attributes: AttributeOrds = [vec![2], vec![], vec![5, 6], vec![]];
        let item = product(&[0, 4], &attributes);
        assert!(ProductFilter::default().accepts(item));
        assert!(!ProductFilter::nothing().accepts(item));
        let pass = ProductFilter {
            category: Some(0),
            min_price: Some(120.0),
            max_price: Some(120.0),
            in_stock: Some(true),
            featured: Some(false),
            attributes: vec![(Facet::Color, vec![1, 2]), (Facet::Style, vec![6])],
            ..ProductFilter::default()
        };
        assert!(pass.accepts(item));
        let fails = [
            ProductFilter {
                category: Some(7),
                ..pass.clone()
            },
            ProductFilter {
                exclude_categories: vec![4],
                ..pass.clone()
            },
            ProductFilter {
                min_price: Some(120.5),
                ..pass.clone()
            },
            ProductFilter {
                in_stock: Some(false),
                ..pass.clone()
            },
            ProductFilter {
                featured: Some(true),
                ..pass.clone()
            },
            ProductFilter {
                attributes: vec![(Facet::Material, vec![1])],
                ..pass.clone()
            },
        ];
        for filter in fails {
            assert!(!filter.accepts(item), "{filter:?}");
        }
    }
}
