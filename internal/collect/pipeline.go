package collect

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/hubreport/hubreport/internal/model"
)

// Decoding a record costs several times what framing it does, so Decode runs as a pipeline: one
// goroutine frames the input and copies records into batches, GOMAXPROCS goroutines decode
// batches, and the caller's goroutine takes the batches back in file order and hands their
// findings to fn. Because batches come back in order, fn sees findings in file order (the
// store keeps the last copy of a repeated finding) and the error returned is always the first
// one in the file, whichever goroutine found it: a decoding error stops its batch, and the
// framer's own errors (syntax, read, cancellation) travel in the last batch, after every record
// framed before them. A fixed number of batches circulate, so memory stays bounded however large
// the file is.

const (
	// batchRecords and batchBytes end a batch, whichever comes first: large enough that the
	// hand-offs cost nothing next to decoding, small enough that the batches in flight stay a
	// few MB.
	batchRecords = 128
	batchBytes   = 512 << 10
	// maxKeptBatchBuffer is the largest record buffer a batch keeps for reuse; one grown past it
	// by a huge record is left to the GC.
	maxKeptBatchBuffer = 4 << 20
)

// errStopped tells the framer that run has returned and wants no more records.
var errStopped = errors.New("decoding stopped")

// batch is a run of consecutive records, framed and copied, and what decoding them gave.
type batch struct {
	seq   int          // position in the file, from 0
	first int          // record index of the first record
	buf   []byte       // the records, back to back
	spans []recordSpan // one per record
	found []*model.Finding
	err   error // the error of record first+len(found), which ended the batch
	final bool  // the last batch: ferr says how the framing ended (nil at the end of the input)
	ferr  error
}

type recordSpan struct {
	end   int   // the record is buf[previous end:end]
	start int64 // its input offset
}

func (b *batch) reset() {
	clear(b.found)
	*b = batch{buf: b.buf[:0], spans: b.spans[:0], found: b.found[:0]}
	if cap(b.buf) > maxKeptBatchBuffer {
		b.buf = nil
	}
}

var batchPool = sync.Pool{New: func() any { return new(batch) }}

// pipeline is the decoder's share of the pipeline's state.
type pipeline struct {
	free chan *batch   // empty batches for the framer
	jobs chan *batch   // full batches for the decoders
	done chan struct{} // closed when run returns
	cur  *batch        // the batch the framer fills
	nseq int           // seq of the next batch sent
}

// run decodes the input and calls fn with each finding, in order; see the comment above.
func (d *decoder) run() error {
	workers := max(1, runtime.GOMAXPROCS(0))
	n := 2*workers + 2 // batches in circulation
	all := make([]*batch, n)
	d.free = make(chan *batch, n)
	d.jobs = make(chan *batch, n) // no send on it or on results ever blocks: n batches in all
	d.done = make(chan struct{})
	results := make(chan *batch, n)
	for i := range all {
		all[i] = batchPool.Get().(*batch)
		d.free <- all[i]
	}
	var wg sync.WaitGroup
	wg.Add(1 + workers)
	go func() {
		defer wg.Done()
		defer close(d.jobs)
		d.frameAll()
	}()
	for range workers {
		go func() {
			defer wg.Done()
			d.decodeBatches(results)
		}()
	}
	defer func() {
		// Wait for every goroutine, so that nothing reads the input or the window after return.
		close(d.done)
		wg.Wait()
		for _, b := range all {
			b.reset()
			batchPool.Put(b)
		}
		d.free, d.jobs, d.cur = nil, nil, nil
	}()
	pending := map[int]*batch{}
	for next := 0; ; next++ {
		b := pending[next]
		for b == nil {
			r := <-results
			if r.seq == next {
				b = r
			} else {
				pending[r.seq] = r
			}
		}
		delete(pending, next)
		for i, f := range b.found {
			if err := d.fn(f); err != nil {
				return fmt.Errorf("import %s: record %d: %w", d.name, b.first+i, err)
			}
		}
		switch {
		case b.err != nil:
			return b.err
		case b.final:
			return b.ferr
		}
		b.reset()
		d.free <- b
	}
}

// frameAll runs the framer and sends what is left, with how the framing ended, as the last batch.
// A panic in the framer ends the framing with an error naming the file and the record reached,
// so the caller returns it instead of the process crashing.
func (d *decoder) frameAll() {
	select {
	case d.cur = <-d.free:
	case <-d.done:
		return
	}
	err := d.frameContained()
	if err == errStopped {
		return
	}
	if d.cur == nil { // the panic came between two batches
		select {
		case d.cur = <-d.free:
		case <-d.done:
			return
		}
	}
	d.cur.final, d.cur.ferr = true, err
	d.send()
}

func (d *decoder) frameContained() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Where: fmt.Sprintf("import %s: record %d", d.name, d.rec), Value: p, Stack: debug.Stack()}
		}
	}()
	return d.frame()
}

func (d *decoder) send() {
	d.cur.seq = d.nseq
	d.nseq++
	d.jobs <- d.cur
	d.cur = nil
}

// queue adds record k, framed as b at input offset start, to the current batch.
func (d *decoder) queue(k int, b []byte, start int64) error {
	c := d.cur
	if len(c.spans) == 0 {
		c.first = k
	}
	c.buf = append(c.buf, b...)
	c.spans = append(c.spans, recordSpan{end: len(c.buf), start: start})
	if len(c.spans) < batchRecords && len(c.buf) < batchBytes {
		return nil
	}
	d.send()
	select {
	case d.cur = <-d.free:
		return nil
	case <-d.done:
		return errStopped
	}
}

// decodeBatches decodes the records of each batch until one fails.
func (d *decoder) decodeBatches(results chan<- *batch) {
	var raw rawFinding
	for b := range d.jobs {
		select {
		case <-d.done:
			continue // nobody is listening
		default:
		}
		d.decodeBatch(&raw, b)
		results <- b
	}
}

// decodeBatch decodes b's records until one fails. A panic while decoding a record becomes that
// record's error, naming the file and the record: the batch still goes back, so the caller
// returns the error instead of the process crashing or the pipeline waiting forever.
func (d *decoder) decodeBatch(raw *rawFinding, b *batch) {
	k := b.first
	defer func() {
		if p := recover(); p != nil {
			b.err = &PanicError{Where: fmt.Sprintf("import %s: record %d", d.name, k), Value: p, Stack: debug.Stack()}
		}
	}()
	prev := 0
	for i, s := range b.spans {
		k = b.first + i
		if decodeFault != nil {
			decodeFault(k)
		}
		f, err := d.decodeRecord(raw, k, b.buf[prev:s.end], s.start)
		if err != nil {
			b.err = err
			return
		}
		b.found = append(b.found, f)
		prev = s.end
	}
}

// decodeFault, when set, is called before each record is decoded: a test makes it panic.
var decodeFault func(record int)
