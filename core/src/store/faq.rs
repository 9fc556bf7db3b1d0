//! The store's FAQ and written pages (`data/store/`), searchable with the engine's French
//! analysis: one small in-memory tantivy index whose fields use the same analyzers as the
//! product index (folded exact words and stems), queried word by word with the same typo budget
//! ([`crate::index::typo_budget`]). A page is split into sections at its `##` headings; a
//! section is an entry like a FAQ answer, its heading standing for the question.

use std::sync::LazyLock;

use serde::Deserialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

use crate::text::{EXACT_ANALYZER, STEM_ANALYZER};

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Topic {
    /// Delivery.
    Shipping,
    /// Returns, refunds, cancellations.
    Returns,
    /// Payment.
    Payment,
    /// Products and their care.
    Products,
    /// The customer account.
    Account,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 5] = [
        Topic::Shipping,
        Topic::Returns,
        Topic::Payment,
        Topic::Products,
        Topic::Account,
    ];

    /// The topic as the tools name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Shipping => "shipping",
            Topic::Returns => "returns",
            Topic::Payment => "payment",
            Topic::Products => "products",
            Topic::Account => "account",
        }
    }

    /// The topic of a name.
    pub fn parse(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// One FAQ answer or page section.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable id: the FAQ entry's, or `<page>#<n>` for a page's n-th section.
    pub id: String,
    /// Its topic.
    pub topic: Topic,
    /// The question, or the section's heading (with the page's title).
    pub question: String,
    /// The answer, or the section's text.
    pub answer: String,
}

/// The bundled pages and their topics.
const PAGES: [(&str, &str, Topic); 5] = [
    (
        "returns",
        include_str!("../../../data/store/returns.md"),
        Topic::Returns,
    ),
    (
        "shipping",
        include_str!("../../../data/store/shipping.md"),
        Topic::Shipping,
    ),
    (
        "payment",
        include_str!("../../../data/store/payment.md"),
        Topic::Payment,
    ),
    (
        "account",
        include_str!("../../../data/store/account.md"),
        Topic::Account,
    ),
    (
        "care",
        include_str!("../../../data/store/care.md"),
        Topic::Products,
    ),
];

/// The bundled FAQ and pages, indexed on first use.
pub static BUNDLED: LazyLock<Faq> = LazyLock::new(|| {
    Faq::new(include_str!("../../../data/store/faq.toml"), &PAGES)
        .expect("the bundled FAQ is valid (tested)")
});

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaqFile {
    faq: Vec<FaqLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaqLine {
    id: String,
    category: Topic,
    question: String,
    answer: String,
}

struct Fields {
    entry: Field,
    topic: Field,
    question: (Field, Field),
    answer: (Field, Field),
}

/// The FAQ and pages, searchable.
pub struct Faq {
    entries: Vec<Entry>,
    reader: IndexReader,
    fields: Fields,
}

/// Score factor of a word matching the question (a heading) over the answer.
const QUESTION_BOOST: f32 = 2.0;
/// Score factor of an exact word over a stem, and of a stem over a typo.
const EXACT_BOOST: f32 = 1.5;
const TYPO_BOOST: f32 = 0.5;

impl Faq {
    /// Reads a FAQ file (TOML, `[[faq]]` entries) and pages (`(name, markdown, topic)`), and
    /// indexes them.
    pub fn new(faq_toml: &str, pages: &[(&str, &str, Topic)]) -> Result<Faq, String> {
        let file: FaqFile = toml::from_str(faq_toml).map_err(|e| format!("FAQ: {e}"))?;
        let mut entries: Vec<Entry> = file
            .faq
            .into_iter()
            .map(|l| Entry {
                id: l.id,
                topic: l.category,
                question: l.question,
                answer: l.answer,
            })
            .collect();
        for (name, text, topic) in pages {
            entries.extend(sections(name, text, *topic));
        }
        let mut ids = std::collections::HashSet::new();
        if let Some(dup) = entries.iter().find(|e| !ids.insert(e.id.as_str())) {
            return Err(format!("FAQ: the id {} is used twice", dup.id));
        }
        Faq::index(entries).map_err(|e| format!("FAQ index: {e}"))
    }

    fn index(entries: Vec<Entry>) -> tantivy::Result<Faq> {
        let mut b = Schema::builder();
        let view = |analyzer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analyzer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let fields = Fields {
            entry: b.add_u64_field("entry", FAST | tantivy::schema::STORED),
            topic: b.add_text_field("topic", STRING),
            question: (
                b.add_text_field("question", view(EXACT_ANALYZER)),
                b.add_text_field("question_stem", view(STEM_ANALYZER)),
            ),
            answer: (
                b.add_text_field("answer", view(EXACT_ANALYZER)),
                b.add_text_field("answer_stem", view(STEM_ANALYZER)),
            ),
        };
        let index = Index::create_in_ram(b.build());
        crate::text::register(index.tokenizers());
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        for (i, e) in entries.iter().enumerate() {
            let mut doc = TantivyDocument::new();
            doc.add_u64(fields.entry, i as u64);
            doc.add_text(fields.topic, e.topic.as_str());
            for (field, text) in [
                (fields.question.0, &e.question),
                (fields.question.1, &e.question),
                (fields.answer.0, &e.answer),
                (fields.answer.1, &e.answer),
            ] {
                doc.add_text(field, text);
            }
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(Faq {
            entries,
            reader,
            fields,
        })
    }

    /// Every entry, FAQ first, then the pages' sections.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries best matching `query`, best first, with their scores; `topic` keeps one
    /// topic. Any word may match (the more, the better); each also matches through its stem
    /// and, within its typo budget, a misspelling.
    pub fn search(&self, query: &str, topic: Option<Topic>, limit: usize) -> Vec<(f32, &Entry)> {
        let f = &self.fields;
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in crate::text::words(query).into_iter().filter(|w| !w.stop) {
            let mut views: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for ((exact, stem), boost) in [(f.question, QUESTION_BOOST), (f.answer, 1.0)] {
                let term = |field, text: &str| Term::from_field_text(field, text);
                let exact_term = term(exact, &word.exact);
                views.push((
                    Occur::Should,
                    boosted(
                        TermQuery::new(exact_term.clone(), IndexRecordOption::WithFreqs),
                        boost * EXACT_BOOST,
                    ),
                ));
                views.push((
                    Occur::Should,
                    boosted(
                        TermQuery::new(term(stem, &word.stem), IndexRecordOption::WithFreqs),
                        boost,
                    ),
                ));
                let budget = crate::index::typo_budget(&word.exact);
                if budget > 0 {
                    views.push((
                        Occur::Should,
                        boosted(
                            FuzzyTermQuery::new(exact_term, budget, true),
                            boost * TYPO_BOOST,
                        ),
                    ));
                }
            }
            words.push((Occur::Should, Box::new(BooleanQuery::new(views))));
        }
        if words.is_empty() {
            return Vec::new();
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(words)))];
        if let Some(topic) = topic {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.topic, topic.as_str()),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let searcher = self.reader.searcher();
        let Ok(top) = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit.max(1)).order_by_score(),
        ) else {
            return Vec::new();
        };
        top.into_iter()
            .filter_map(|(score, address)| {
                let doc: TantivyDocument = searcher.doc(address).ok()?;
                let i = doc.get_first(f.entry)?.as_u64()? as usize;
                Some((score, self.entries.get(i)?))
            })
            .collect()
    }
}

/// The rank constant of reciprocal rank fusion (the usual 60).
const RRF_K: f32 = 60.0;
/// A semantic neighbour counts when its cosine is this far above the query's mean cosine over
/// every entry: the background every query has, whatever it asks.
const SEMANTIC_MARGIN: f32 = 0.03;

impl Faq {
    /// The text of each entry as a passage to embed, in entry order.
    pub fn passages(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| format!("{}\n{}", e.question, e.answer))
            .collect()
    }

    /// [`Faq::search`] fused with the entries nearest `query_vector` (reciprocal rank fusion):
    /// `vectors` are the entries' passages embedded, in entry order. A neighbour counts only
    /// when it stands out of the query's background (its mean cosine over all entries), so an
    /// unrelated question adds nothing.
    pub fn search_hybrid(
        &self,
        query: &str,
        topic: Option<Topic>,
        limit: usize,
        query_vector: &[f32],
        vectors: &[Vec<f32>],
    ) -> Vec<(f32, &Entry)> {
        let depth = (limit * 4).max(20);
        let mut fused: Vec<(f32, usize)> = Vec::new();
        let mut add = |i: usize, rank: usize| {
            let score = 1.0 / (RRF_K + rank as f32 + 1.0);
            match fused.iter_mut().find(|(_, j)| *j == i) {
                Some(found) => found.0 += score,
                None => fused.push((score, i)),
            }
        };
        let index_of = |e: &Entry| self.entries.iter().position(|x| x.id == e.id);
        for (rank, (_, entry)) in self.search(query, topic, depth).into_iter().enumerate() {
            if let Some(i) = index_of(entry) {
                add(i, rank);
            }
        }
        let cosines: Vec<f32> = vectors
            .iter()
            .map(|v| v.iter().zip(query_vector).map(|(a, b)| a * b).sum())
            .collect();
        if !cosines.is_empty() {
            let background = cosines.iter().sum::<f32>() / cosines.len() as f32;
            let mut near: Vec<(f32, usize)> = cosines
                .iter()
                .enumerate()
                .filter(|&(i, &c)| {
                    c >= background + SEMANTIC_MARGIN
                        && topic.is_none_or(|t| self.entries[i].topic == t)
                })
                .map(|(i, &c)| (c, i))
                .collect();
            near.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (rank, (_, i)) in near.into_iter().take(depth).enumerate() {
                add(i, rank);
            }
        }
        fused.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        fused
            .into_iter()
            .take(limit)
            .map(|(score, i)| (score, &self.entries[i]))
            .collect()
    }
}

fn boosted(q: impl Query + 'static, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(q), boost))
}

/// A page's sections: the text under each `##` heading, the page's `#` title kept with the
/// heading as the entry's question.
fn sections(name: &str, text: &str, topic: Topic) -> Vec<Entry> {
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or(name)
        .trim();
    let mut out: Vec<Entry> = Vec::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            out.push(Entry {
                id: format!("{name}#{}", out.len() + 1),
                topic,
                question: format!("{title} : {}", heading.trim()),
                answer: String::new(),
            });
        } else if let Some(section) = out.last_mut() {
            let line = line.trim();
            if !line.is_empty() {
                if !section.answer.is_empty() {
                    section.answer.push('\n');
                }
                section.answer.push_str(line);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_id(query: &str, topic: Option<Topic>) -> String {
        BUNDLED
            .search(query, topic, 3)
            .first()
            .map(|(_, e)| e.id.clone())
            .unwrap_or_default()
    }

    #[test]
    fn the_bundled_faq_loads_with_pages_split_into_sections() {
        let faq = &*BUNDLED;
        let from_file = faq.entries().iter().filter(|e| !e.id.contains('#')).count();
        assert!(from_file >= 40, "{from_file} FAQ entries");
        for topic in Topic::ALL {
            assert!(faq.entries().iter().any(|e| e.topic == topic), "{topic:?}");
        }
        let section = faq.entries().iter().find(|e| e.id == "returns#1").unwrap();
        assert!(section.question.starts_with("Retours et remboursements : "));
        assert!(section.answer.contains("30 jours"));
        assert!(faq.entries().iter().all(|e| !e.answer.is_empty()));
    }

    #[test]
    fn french_questions_find_their_answer_through_typos_elisions_and_plurals() {
        for (query, id) in [
            ("comment payer en 3 fois", "paiement-plusieurs-fois"),
            (
                "puis-je retourner un canapé fabriqué à la commande",
                "retour-canape-commande",
            ),
            ("délai de livraision", "livraison-delai"),
            ("l'ampoule des luminaires", "produits-ampoule"),
            ("mot de passe oublie", "compte-mot-de-passe"),
            ("frais de douanes suisse", "livraison-suisse"),
        ] {
            let found: Vec<String> = BUNDLED
                .search(query, None, 3)
                .into_iter()
                .map(|(_, e)| e.id.clone())
                .collect();
            assert!(found.contains(&id.to_owned()), "{query}: {found:?}");
        }
    }

    #[test]
    fn a_topic_keeps_its_entries_and_nonsense_finds_nothing() {
        let payment = BUNDLED.search("remboursement", Some(Topic::Payment), 10);
        assert!(!payment.is_empty());
        assert!(payment.iter().all(|(_, e)| e.topic == Topic::Payment));
        assert_eq!(first_id("xqzwv", None), "");
        assert!(
            BUNDLED.search("le la les", None, 5).is_empty(),
            "stop words only"
        );
    }

    #[test]
    fn a_repeated_id_is_an_error() {
        let twice =
            "[[faq]]\nid = \"a\"\ncategory = \"payment\"\nquestion = \"q\"\nanswer = \"r\"\n"
                .repeat(2);
        let refused = Faq::new(&twice, &[]).err().unwrap_or_default();
        assert!(refused.contains("twice"), "{refused}");
    }
}
