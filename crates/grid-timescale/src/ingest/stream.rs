//! Streams as sequences of atomic batches, in bounded memory.

use diesel::PgConnection;

use super::{Ingester, Reading, Scorer, StreamError, StreamReport};

impl Ingester {
    /// Ingests a stream as a sequence of atomic batches of `batch_size` readings, in bounded
    /// memory. `progress` sees the totals after each committed batch. On an error the result
    /// says how many readings were committed: resume by skipping that many.
    pub fn ingest_stream<I>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
        batch_size: usize,
        progress: impl FnMut(&StreamReport),
    ) -> Result<StreamReport, Box<StreamError>>
    where
        I: IntoIterator<Item = Reading>,
    {
        self.stream(
            conn,
            readings,
            batch_size,
            None::<&mut dyn Scorer>,
            progress,
        )
    }

    /// [`Ingester::ingest_stream`] with `scorer` scoring each batch as in
    /// [`Ingester::ingest_batch_scored`].
    pub fn ingest_stream_scored<I>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
        batch_size: usize,
        scorer: &mut dyn Scorer,
        progress: impl FnMut(&StreamReport),
    ) -> Result<StreamReport, Box<StreamError>>
    where
        I: IntoIterator<Item = Reading>,
    {
        self.stream(conn, readings, batch_size, Some(scorer), progress)
    }

    /// [`Ingester::ingest_stream`] with `scorer` when there is one.
    pub fn ingest_stream_with<I>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
        batch_size: usize,
        scorer: Option<&mut dyn Scorer>,
        progress: impl FnMut(&StreamReport),
    ) -> Result<StreamReport, Box<StreamError>>
    where
        I: IntoIterator<Item = Reading>,
    {
        self.stream(conn, readings, batch_size, scorer, progress)
    }

    fn stream<I, S>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
        batch_size: usize,
        mut scorer: Option<&mut S>,
        mut progress: impl FnMut(&StreamReport),
    ) -> Result<StreamReport, Box<StreamError>>
    where
        I: IntoIterator<Item = Reading>,
        S: Scorer + ?Sized,
    {
        let mut iter = readings.into_iter().peekable();
        let mut totals = StreamReport::default();
        let cap = self.options.max_rejection_details;
        while iter.peek().is_some() {
            let batch = iter.by_ref().take(batch_size.max(1));
            match self.ingest_batch_at(conn, batch, totals.position, scorer.as_deref_mut()) {
                Ok(r) => {
                    totals.position += r.received;
                    totals.batches += 1;
                    totals.report.add(&r, cap);
                    totals.last_batch = r;
                    progress(&totals);
                }
                Err(error) => {
                    return Err(Box::new(StreamError {
                        committed: totals,
                        error,
                    }));
                }
            }
        }
        Ok(totals)
    }
}
