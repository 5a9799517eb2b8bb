package amf

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// benchUEs is the most registrations run at once (each UE registers
// again and again; a new registration displaces the previous context of
// its SUPI). Fewer in flight show the latency without queueing.
const benchUEs = 64

// BenchmarkRegistration measures initial registrations (SUCI, 5G AKA,
// SMC, Initial Context Setup, Registration Complete) through one AMF from
// one gNB: against fast in-process AUSF/UDM handlers, and against the real
// AUSF, UDM and UDR. Reported: registrations per second and the p50/p99
// latency from Initial UE Message to Registration Complete sent.
func BenchmarkRegistration(b *testing.B) {
	for _, inFlight := range []int{8, benchUEs} {
		b.Run(fmt.Sprintf("fake-ausf-udm/ues=%d", inFlight), func(b *testing.B) {
			root := startFastAUSFUDM(b)
			benchRegistrations(b, root, root, inFlight)
		})
		b.Run(fmt.Sprintf("real-ausf-udm-udr/ues=%d", inFlight), func(b *testing.B) {
			ch := startChain(b, inFlight)
			benchRegistrations(b, ch.ausf.SBIURL(), ch.udm, inFlight)
		})
	}
}

func benchRegistrations(b *testing.B, ausfURI, udmURI string, inFlight int) {
	smf := startFakeSMF(b)
	amf := startAMF(b, testConfig(ausfURI, udmURI, smf.url))
	b.Cleanup(smf.client.CloseIdleConnections)
	g := newGNB(b, amf)
	ues := make([]*testUE, inFlight)
	for i := range ues {
		ues[i] = newTestUE(b, g, i+1, testK, 0)
	}
	var (
		next atomic.Int64
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, b.N)
		wg   sync.WaitGroup
		errs = make(chan error, inFlight)
	)
	b.ResetTimer()
	start := time.Now()
	for _, u := range ues {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := u.register(); err != nil {
					errs <- fmt.Errorf("%s: %w", u.supi, err)
					return
				}
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "reg/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// fastAUSFUDM answers the AUSF and UDM requests of a registration from
// memory: vectors from one Milenage (every subscriber has the test keys),
// a per-subscriber SQN counter, no database.
type fastAUSFUDM struct {
	mil  *aka.Milenage
	snn  string
	sqns sync.Map // supi -> *atomic.Uint64
	ctxs sync.Map // id -> fastCtx
	ids  atomic.Uint64
}

type fastCtx struct {
	supi  string
	xres  aka.RESStar
	kseaf aka.Key256
}

func startFastAUSFUDM(b *testing.B) string {
	b.Helper()
	mil, err := aka.NewMilenage(unhex(b, testK), unhex(b, testOPc))
	must(b, err)
	snn, _ := aka.ServingNetworkName(homePLMN.MCC, homePLMN.MNC)
	f := &fastAUSFUDM{mil: mil, snn: snn}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathAuthentications, f.authenticate)
	mux.HandleFunc("PUT "+pathAuthentications+"/{id}/5g-aka-confirmation", f.confirm)
	mux.HandleFunc("PUT /nudm-uecm/v1/{supi}/registrations/amf-3gpp-access", func(w http.ResponseWriter, r *http.Request) {
		var reg models.Udm_UECM_Amf3GppAccessRegistration
		if sbi.ReadJSON(w, r, &reg) == nil {
			sbi.WriteJSON(w, http.StatusCreated, reg)
		}
	})
	mux.HandleFunc("GET /nudm-sdm/v2/{supi}/am-data", func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteJSON(w, http.StatusOK, models.Udm_SDM_AccessAndMobilitySubscriptionData{
			Nssai: &models.Udm_SDM_Nssai{DefaultSingleNssais: []models.Snssai{{Sst: 1}}}})
	})
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, nfkittest.Quiet())
	must(b, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, mux) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("fast ausf/udm: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func (f *fastAUSFUDM) authenticate(w http.ResponseWriter, r *http.Request) {
	var info models.Ausf_UEAU_AuthenticationInfo
	if sbi.ReadJSON(w, r, &info) != nil {
		return
	}
	s, err := aka.ParseSUCI(info.SupiOrSuci)
	if err != nil {
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, err.Error())
		return
	}
	supi := "imsi-" + s.MCC + s.MNC + s.MSIN
	v, _ := f.sqns.LoadOrStore(supi, new(atomic.Uint64))
	var rnd aka.RAND
	_, _ = rand.Read(rnd[:])
	av, err := f.mil.GenerateVector(aka.NewSQN(v.(*atomic.Uint64).Add(1), 0), 0x8000, f.snn, rnd)
	if err != nil {
		sbi.WriteProblem(w, http.StatusInternalServerError, sbi.CauseSystemFailure, err.Error())
		return
	}
	kseaf, _ := av.KSEAF()
	id := fmt.Sprint(f.ids.Add(1))
	f.ctxs.Store(id, fastCtx{supi: supi, xres: av.XRESStar, kseaf: kseaf})
	link := "http://" + r.Host + pathAuthentications + "/" + id + "/5g-aka-confirmation"
	sbi.WriteJSON(w, http.StatusCreated, map[string]any{"authType": "5G_AKA",
		"5gAuthData": map[string]string{"rand": av.RAND.String(), "autn": av.AUTN.String(), "hxresStar": av.HXRESStar.String()},
		"_links":     map[string][]models.Link{"5g-aka": {{Href: link}}}})
}

func (f *fastAUSFUDM) confirm(w http.ResponseWriter, r *http.Request) {
	var c models.Ausf_UEAU_ConfirmationData
	if sbi.ReadJSON(w, r, &c) != nil {
		return
	}
	v, ok := f.ctxs.LoadAndDelete(r.PathValue("id"))
	if !ok || c.ResStar == nil {
		sbi.WriteProblem(w, http.StatusNotFound, "CONTEXT_NOT_FOUND", "")
		return
	}
	a := v.(fastCtx)
	if !strings.EqualFold(*c.ResStar, hex.EncodeToString(a.xres[:])) {
		sbi.WriteJSON(w, http.StatusOK, models.Ausf_UEAU_ConfirmationDataResponse{AuthResult: models.Ausf_UEAU_AuthResult_FAILURE})
		return
	}
	sbi.WriteJSON(w, http.StatusOK, models.Ausf_UEAU_ConfirmationDataResponse{AuthResult: models.Ausf_UEAU_AuthResult_SUCCESS,
		Supi: a.supi, Kseaf: a.kseaf.String()})
}
