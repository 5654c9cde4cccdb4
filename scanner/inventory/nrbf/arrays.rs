//! The array records of [MS-NRBF]: ArraySinglePrimitive (15),
//! ArraySingleObject and ArraySingleString (16, 17), and BinaryArray (7) of
//! every shape. Only a one-dimensional byte array is kept (that is what
//! `CertData` is); other elements are walked and dropped, each walk step
//! counted against `MAX_ELEMENTS`.

use super::{MemberType, NrbfError, Reader, Value, MAX_ELEMENTS, MAX_RANK};

impl Reader<'_> {
    /// ArraySinglePrimitive (15): bytes are kept, other types skipped.
    pub(super) fn primitive_array(&mut self) -> Result<Value, NrbfError> {
        let id = self.i32()?;
        let n = self.count()?;
        let t = self.u8()?;
        let value = if t == 2 {
            Value::Bytes(self.take(n)?.to_vec())
        } else {
            for _ in 0..n {
                self.primitive(t)?;
            }
            Value::Other
        };
        self.out.objects.insert(id, value);
        Ok(Value::Ref(id))
    }

    /// ArraySingleObject (16) or ArraySingleString (17): records, with
    /// runs of nulls (13, 14) counting for several.
    pub(super) fn object_array(&mut self, depth: usize) -> Result<Value, NrbfError> {
        let id = self.i32()?;
        // Not bounded by the bytes left: a run of nulls fills many slots.
        // The walk is (every step reads a byte or more).
        let n = self.null_run()?;
        self.elements(n, depth)?;
        Ok(Value::Ref(id))
    }

    /// `n` element records of an object, string or jagged array, with
    /// runs of nulls (13, 14) counting for several.
    pub(super) fn elements(&mut self, n: usize, depth: usize) -> Result<(), NrbfError> {
        let mut filled: usize = 0;
        while filled < n {
            let k = self.u8()?;
            let step = match k {
                13 => usize::from(self.u8()?),
                14 => self.null_run()?,
                _ => {
                    self.record(k, depth + 1)?;
                    1
                }
            };
            filled = filled.checked_add(step).ok_or(NrbfError::LengthOverflow)?;
            self.tick(1)?;
        }
        if filled != n {
            return Err(NrbfError::BadArray("a run of nulls goes past the end"));
        }
        Ok(())
    }

    /// Count `n` elements walked against `MAX_ELEMENTS`.
    pub(super) fn tick(&mut self, n: usize) -> Result<(), NrbfError> {
        self.elements = self.elements.saturating_add(n);
        if self.elements > MAX_ELEMENTS {
            return Err(NrbfError::TooManyElements {
                limit: MAX_ELEMENTS,
            });
        }
        Ok(())
    }

    /// BinaryArray (7), [MS-NRBF] 2.4.3.1: an id, the shape (single,
    /// jagged, rectangular, each optionally with lower bounds), the rank,
    /// one length per dimension, the element type, then the elements in
    /// row-major order: raw values for a primitive type, records otherwise.
    /// A one-dimensional byte array is kept (that is how some writers
    /// store `CertData`); other elements are walked and dropped.
    pub(super) fn binary_array(&mut self, depth: usize) -> Result<Value, NrbfError> {
        let id = self.i32()?;
        let shape = self.u8()?;
        if shape > 5 {
            return Err(NrbfError::BadArray("unknown array type"));
        }
        let rank = self.i32()?;
        let rank = usize::try_from(rank)
            .ok()
            .filter(|r| (1..=MAX_RANK).contains(r))
            .ok_or(NrbfError::BadArray("a rank outside 1..32"))?;
        if matches!(shape, 0 | 3) && rank != 1 {
            return Err(NrbfError::BadArray("a single array of rank other than 1"));
        }
        let mut total: usize = 1;
        for _ in 0..rank {
            let n = self.i32()?;
            let n = usize::try_from(n).map_err(|_| NrbfError::NegativeCount { count: n })?;
            total = total.checked_mul(n).ok_or(NrbfError::LengthOverflow)?;
        }
        if shape >= 3 {
            // Lower bounds: where indices start, which does not matter here.
            self.take(4usize.checked_mul(rank).ok_or(NrbfError::LengthOverflow)?)?;
        }
        let element = self.member_types(1)?;
        match element.first().copied() {
            Some(MemberType::Primitive(t)) => self.primitive_elements(id, t, total, rank),
            _ => {
                self.elements(total, depth)?;
                Ok(Value::Ref(id))
            }
        }
    }

    /// The raw values of a primitive BinaryArray.
    pub(super) fn primitive_elements(
        &mut self,
        id: i32,
        t: u8,
        total: usize,
        rank: usize,
    ) -> Result<Value, NrbfError> {
        if t == 2 && rank == 1 {
            let value = Value::Bytes(self.take(total)?.to_vec());
            self.out.objects.insert(id, value);
            return Ok(Value::Ref(id));
        }
        // Null (17) takes no bytes per element: nothing to walk. Every
        // other type takes at least one, so `total` must fit what is left.
        if t != 17 {
            if total > self.remaining() {
                return Err(NrbfError::CountTooLarge {
                    count: total,
                    left: self.remaining(),
                });
            }
            self.tick(total)?;
            for _ in 0..total {
                self.primitive(t)?;
            }
        }
        self.out.objects.insert(id, Value::Other);
        Ok(Value::Ref(id))
    }
}
