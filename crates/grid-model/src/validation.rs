//! Validation that names every offending field at once.

use std::fmt;

/// Why a text holding U+0000 is refused: PostgreSQL's text types cannot store it.
pub(crate) const NUL_REFUSED: &str =
    "must not contain the NUL character (PostgreSQL text cannot hold it)";

/// One field that failed validation, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field (the column name in the store).
    pub field: &'static str,
    /// What is wrong, with the value given.
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// Every field of one entity that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors {
    /// The entity, e.g. `substation`.
    pub entity: &'static str,
    /// The offending fields, in declaration order; never empty.
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    /// The names of the offending fields.
    pub fn fields(&self) -> Vec<&'static str> {
        self.errors.iter().map(|e| e.field).collect()
    }

    /// Whether `field` is among the offending ones.
    pub fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: ", self.entity)?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Collects field errors for one entity.
#[derive(Debug)]
pub(crate) struct Checker {
    entity: &'static str,
    errors: Vec<FieldError>,
}

impl Checker {
    pub(crate) fn new(entity: &'static str) -> Self {
        Checker {
            entity,
            errors: Vec::new(),
        }
    }

    pub(crate) fn fail(&mut self, field: &'static str, reason: impl Into<String>) -> &mut Self {
        self.errors.push(FieldError {
            field,
            reason: reason.into(),
        });
        self
    }

    /// Fails unless `ok`.
    pub(crate) fn ensure(
        &mut self,
        ok: bool,
        field: &'static str,
        reason: impl FnOnce() -> String,
    ) -> &mut Self {
        if !ok {
            self.fail(field, reason());
        }
        self
    }

    /// A finite number.
    pub(crate) fn finite(&mut self, field: &'static str, v: f64) -> &mut Self {
        self.ensure(v.is_finite(), field, || {
            format!("must be a finite number (got {v})")
        })
    }

    pub(crate) fn finite_opt(&mut self, field: &'static str, v: Option<f64>) -> &mut Self {
        match v {
            Some(v) => self.finite(field, v),
            None => self,
        }
    }

    /// A finite number within `lo..=hi`.
    pub(crate) fn range(&mut self, field: &'static str, v: f64, lo: f64, hi: f64) -> &mut Self {
        self.ensure(v.is_finite() && (lo..=hi).contains(&v), field, || {
            format!("must be within {lo}..={hi} (got {v})")
        })
    }

    pub(crate) fn range_opt(
        &mut self,
        field: &'static str,
        v: Option<f64>,
        lo: f64,
        hi: f64,
    ) -> &mut Self {
        match v {
            Some(v) => self.range(field, v, lo, hi),
            None => self,
        }
    }

    /// A finite number > 0.
    pub(crate) fn positive(&mut self, field: &'static str, v: f64) -> &mut Self {
        self.ensure(v.is_finite() && v > 0.0, field, || {
            format!("must be greater than 0 (got {v})")
        })
    }

    /// A finite number ≥ 0.
    pub(crate) fn non_negative(&mut self, field: &'static str, v: f64) -> &mut Self {
        self.ensure(v.is_finite() && v >= 0.0, field, || {
            format!("must be 0 or more (got {v})")
        })
    }

    pub(crate) fn non_negative_opt(&mut self, field: &'static str, v: Option<f64>) -> &mut Self {
        match v {
            Some(v) => self.non_negative(field, v),
            None => self,
        }
    }

    pub(crate) fn count(&mut self, field: &'static str, v: i32) -> &mut Self {
        self.ensure(v >= 0, field, || format!("must be 0 or more (got {v})"))
    }

    /// Non-blank text of at most `max` characters, without NUL.
    pub(crate) fn text(&mut self, field: &'static str, v: &str, max: usize) -> &mut Self {
        if v.trim().is_empty() {
            self.fail(field, "must not be empty")
        } else {
            self.max_len(field, v, max)
        }
    }

    /// Optional text: when given, non-blank and at most `max` characters.
    pub(crate) fn text_opt(
        &mut self,
        field: &'static str,
        v: Option<&str>,
        max: usize,
    ) -> &mut Self {
        match v {
            Some(v) => self.text(field, v, max),
            None => self,
        }
    }

    fn max_len(&mut self, field: &'static str, v: &str, max: usize) -> &mut Self {
        let n = v.chars().count();
        if v.contains('\0') {
            return self.fail(field, NUL_REFUSED);
        }
        self.ensure(n <= max, field, || {
            format!("must be at most {max} characters (got {n})")
        })
    }

    /// Metadata must be a JSON object.
    pub(crate) fn object(&mut self, field: &'static str, v: &serde_json::Value) -> &mut Self {
        self.ensure(v.is_object(), field, || {
            format!("must be a JSON object (got {v})")
        })
    }

    pub(crate) fn finish(&mut self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors {
                entity: self.entity,
                errors: std::mem::take(&mut self.errors),
            })
        }
    }
}

/// Declares the validated "new" form of an entity: a draft whose fields are public, and a
/// `New…` wrapper that can only be built through validation.
macro_rules! validated {
    ($(#[$meta:meta])* $new:ident($draft:ident)) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $new($draft);

        impl $new {
            /// Validates `draft`, listing every offending field.
            pub fn new(draft: $draft) -> Result<Self, $crate::ValidationErrors> {
                draft.validate()?;
                Ok($new(draft))
            }

            /// The validated fields.
            pub fn into_inner(self) -> $draft {
                self.0
            }
        }

        impl std::ops::Deref for $new {
            type Target = $draft;
            fn deref(&self) -> &$draft {
                &self.0
            }
        }

        impl TryFrom<$draft> for $new {
            type Error = $crate::ValidationErrors;
            fn try_from(draft: $draft) -> Result<Self, Self::Error> {
                $new::new(draft)
            }
        }
    };
}
pub(crate) use validated;

/// The default of every free-form `metadata` column: an empty JSON object.
pub(crate) fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}
