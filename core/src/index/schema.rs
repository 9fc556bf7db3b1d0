//! The tantivy schema: two analysed views of every text field, fast fields for filters and
//! sorts, ordinal fields for facets, and one stored hit card per product ([`super::card`]):
//! the only stored field.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::filter::Facet;
use crate::text::{EXACT_ANALYZER, STEM_ANALYZER};

/// A searchable text source and its weight within a tier (name highest, description lowest).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextSource {
    /// Base name of the field; the stemmed view is `<name>_stem`.
    pub(crate) name: &'static str,
    /// Bonus added to a tier's score when the word matches in this field. Always below the gap
    /// between two tiers, so an exact match anywhere outranks a typo match anywhere.
    pub(crate) weight: f32,
    /// Whether prefix and typo matching apply (not on the long description: too noisy).
    pub(crate) fuzzy: bool,
}

/// The text sources by name, in the order of [`TEXT_SOURCES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextField {
    Name,
    Category,
    Attributes,
    Brand,
    Tags,
    Description,
}

impl TextField {
    /// Every source, in the order of [`TEXT_SOURCES`].
    pub(crate) const ALL: [TextField; 6] = [
        TextField::Name,
        TextField::Category,
        TextField::Attributes,
        TextField::Brand,
        TextField::Tags,
        TextField::Description,
    ];

    /// The source's entry in [`TEXT_SOURCES`].
    pub(crate) fn source(self) -> &'static TextSource {
        &TEXT_SOURCES[self as usize]
    }
}

/// Text sources in decreasing weight, in the order of [`TextField`].
pub(crate) const TEXT_SOURCES: [TextSource; 6] = [
    TextSource {
        name: "name",
        weight: 8.0,
        fuzzy: true,
    },
    TextSource {
        name: "category",
        weight: 6.0,
        fuzzy: true,
    },
    TextSource {
        name: "attributes",
        weight: 5.0,
        fuzzy: true,
    },
    TextSource {
        name: "brand",
        weight: 4.0,
        fuzzy: true,
    },
    TextSource {
        name: "tags",
        weight: 4.0,
        fuzzy: true,
    },
    TextSource {
        name: "description",
        weight: 1.0,
        fuzzy: false,
    },
];

/// Handles on every field of the schema.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub(crate) id: Field,
    /// `(exact view, stemmed view)` per entry of [`TEXT_SOURCES`].
    pub(crate) text: Vec<(Field, Field)>,
    pub(crate) price: Field,
    pub(crate) stock: Field,
    pub(crate) featured: Field,
    pub(crate) rating: Field,
    pub(crate) popularity: Field,
    pub(crate) created_at: Field,
    /// Size class within the product's category: [`super::SIZE_SMALL`], medium, large or
    /// unknown (indexed: size boosts).
    pub(crate) size_class: Field,
    /// Ordinal fields per entry of [`Facet::ALL`] (multi-valued u64, indexed and fast):
    /// filters, and counts of attribute facets with more than [`MASK_BITS`] values. A
    /// product's category ordinals are its category and every ancestor. Read with
    /// [`Fields::facet`].
    facets: Vec<Field>,
    /// The product's own category ordinal (single-valued, fast): category counts.
    pub(crate) category_leaf: Field,
    /// Per attribute facet ([`Facet::ATTRIBUTES`]), a bitmask of the product's value ordinals
    /// below [`MASK_BITS`] (single-valued, fast): counting reads one dense column per facet.
    /// Read with [`Fields::mask`].
    masks: Vec<Field>,
    /// The product's hit card ([`super::card`]), the one stored field.
    pub(crate) card: Field,
}

impl Fields {
    /// The `(exact view, stemmed view)` of a text source.
    pub(crate) fn text_of(&self, source: TextField) -> (Field, Field) {
        self.text[source as usize]
    }

    /// The ordinal field of a facet.
    pub(crate) fn facet(&self, facet: Facet) -> Field {
        self.facets[facet as usize]
    }

    /// The bitmask field of an attribute facet; `None` for the category.
    pub(crate) fn mask(&self, facet: Facet) -> Option<Field> {
        facet.attribute_index().map(|i| self.masks[i])
    }
}

/// Attribute facets with at most this many values are counted from bitmask columns.
pub(crate) const MASK_BITS: usize = 64;

pub(crate) fn facet_field_name(facet: Facet) -> String {
    format!("{}_ord", facet.key())
}

pub(crate) fn mask_field_name(facet: Facet) -> String {
    format!("{}_mask", facet.key())
}

/// Builds the schema and its field handles.
pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let exact = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(EXACT_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let stemmed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(STEM_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let id = b.add_text_field("id", STRING);
    let text = TEXT_SOURCES
        .iter()
        .map(|s| {
            (
                b.add_text_field(s.name, exact.clone()),
                b.add_text_field(&format!("{}_stem", s.name), stemmed.clone()),
            )
        })
        .collect();
    let fields = Fields {
        id,
        text,
        price: b.add_f64_field("price", INDEXED | FAST),
        stock: b.add_u64_field("stock", INDEXED | FAST),
        featured: b.add_u64_field("featured", INDEXED | FAST),
        rating: b.add_f64_field("rating", FAST),
        popularity: b.add_u64_field("popularity", FAST),
        created_at: b.add_i64_field("created_at", FAST),
        size_class: b.add_u64_field("size_class", INDEXED),
        facets: Facet::ALL
            .iter()
            .map(|&f| b.add_u64_field(&facet_field_name(f), INDEXED | FAST))
            .collect(),
        category_leaf: b.add_u64_field("category_leaf", FAST),
        masks: Facet::ATTRIBUTES
            .iter()
            .map(|&f| b.add_u64_field(&mask_field_name(f), FAST))
            .collect(),
        card: b.add_bytes_field("card", STORED),
    };
    (b.build(), fields)
}

/// Field handles of an existing index's schema.
pub(crate) fn fields_of(schema: &Schema) -> tantivy::Result<Fields> {
    let field = |name: &str| schema.get_field(name);
    Ok(Fields {
        id: field("id")?,
        text: TEXT_SOURCES
            .iter()
            .map(|s| Ok((field(s.name)?, field(&format!("{}_stem", s.name))?)))
            .collect::<tantivy::Result<_>>()?,
        price: field("price")?,
        stock: field("stock")?,
        featured: field("featured")?,
        rating: field("rating")?,
        popularity: field("popularity")?,
        created_at: field("created_at")?,
        size_class: field("size_class")?,
        facets: Facet::ALL
            .iter()
            .map(|&f| field(&facet_field_name(f)))
            .collect::<tantivy::Result<_>>()?,
        category_leaf: field("category_leaf")?,
        masks: Facet::ATTRIBUTES
            .iter()
            .map(|&f| field(&mask_field_name(f)))
            .collect::<tantivy::Result<_>>()?,
        card: field("card")?,
    })
}
