package cli

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/emulator"
)

// localEmulator runs the emulator org in this process for commands given
// --emulator, keeping its data in one file under the user's data directory
// (or SFMCP_EMULATOR_DATA) so a record created by one command is there for
// the next. It starts on first use and stops when Main returns.
type localEmulator struct {
	once  sync.Once
	creds *cmdutil.Credentials
	err   error
	stop  context.CancelFunc
	done  chan struct{}
}

func (l *localEmulator) credentials(ctx context.Context) (*cmdutil.Credentials, error) {
	l.once.Do(func() { l.creds, l.err = l.start() })
	return l.creds, l.err
}

func (l *localEmulator) start() (*cmdutil.Credentials, error) {
	path := os.Getenv("SFMCP_EMULATOR_DATA")
	if path == "" {
		var err error
		if path, err = emulator.DefaultDataPath(); err != nil {
			return nil, err
		}
	}
	// The emulator outlives the context of the call that started it: it
	// serves every request of this command and stops in close.
	ctx, cancel := context.WithCancel(context.Background())
	inst, err := emulator.Listen(ctx, "127.0.0.1:0", emulator.Options{DataPath: path}, false)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("start the local emulator (data in %s): %w", path, err)
	}
	info, err := inst.Startup(ctx)
	if err != nil {
		cancel()
		inst.Close()
		return nil, fmt.Errorf("start the local emulator: %w", err)
	}
	l.stop = cancel
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		_ = inst.Serve(ctx)
	}()
	return &cmdutil.Credentials{AccessToken: info.AccessToken, RefreshToken: info.RefreshToken,
		InstanceURL: info.InstanceURL, LoginURL: info.LoginURL, ClientID: info.ClientID, Source: "emulator"}, nil
}

// close stops the emulator, if it was started, and waits for its store to close.
func (l *localEmulator) close() {
	if l.stop != nil {
		l.stop()
		<-l.done
	}
}
