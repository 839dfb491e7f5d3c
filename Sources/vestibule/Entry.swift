import VestibuleApp

@main
struct Entry {
    static func main() async {
        await VestibuleCommand.main(nil)
    }
}
