"""The family information notice (GDPR art. 14) as first written, in plain French and in the languages guardians
speak at home most often. Coordinators edit them afterwards; running this again changes nothing they wrote."""

from django.db import migrations
from django.utils import timezone

TEXTS = {
    "fr": """Information des familles

Madame, Monsieur,

{college} a remarqué que votre enfant ne vient plus en classe, ou pas régulièrement. Pour l'aider à reprendre l'école, le collège a confié sa situation au centre social {centre}. Le centre social peut vous proposer une rencontre, une aide aux devoirs ou un ordinateur. Cette lettre vous explique ce que nous faisons des informations sur votre enfant.

Qui est responsable ?
{publisher}. Les informations sont gardées dans Radar, un outil partagé par le collège, le centre social et les coordinateurs du partenariat.

Quelles informations ?
- le nom, la date de naissance, la classe et l'adresse de votre enfant ;
- vos coordonnées : nom, téléphone, courriel, langue parlée à la maison ;
- les absences signalées par le collège ;
- les rendez-vous, appels et visites du centre social, et l'aide proposée.
Ces informations viennent du collège et de vos échanges avec le centre social.

Pourquoi ?
Seulement pour aider votre enfant à revenir en classe. C'est une mission d'intérêt public : la lutte contre le décrochage scolaire. Les informations ne servent à rien d'autre. Elles ne sont jamais vendues.

Qui peut les voir ?
Le collège, le centre social qui suit votre enfant, et les coordinateurs du partenariat, qui ne voient pas son nom. Chaque consultation est enregistrée.

Pendant combien de temps ?
Quand le suivi est terminé, le dossier est gardé {retention_months} mois. Ensuite, le nom, l'adresse et les notes sont effacés.

Vos droits
Vous pouvez demander à voir ces informations, à les corriger, à les effacer, ou refuser ce suivi. Demandez au collège, au centre social, ou écrivez au délégué à la protection des données : {dpo}. Nous vous répondons dans un délai d'un mois. Vous pouvez aussi vous plaindre auprès de la CNIL (www.cnil.fr).

Référence du dossier : {reference}
""",
    "en": """Information for families

Dear parent or guardian,

{college} has noticed that your child no longer comes to class, or not regularly. To help your child get back to school, the school has passed their situation on to the {centre} community centre. The community centre can offer you a meeting, homework help or a computer. This letter explains what we do with the information about your child.

Who is responsible?
{publisher}. The information is kept in Radar, a tool shared by the school, the community centre and the partnership's coordinators.

What information?
- your child's name, date of birth, class and address;
- your contact details: name, phone, email, language spoken at home;
- the absences reported by the school;
- the community centre's meetings, calls and visits, and the help offered.
This information comes from the school and from your contacts with the community centre.

Why?
Only to help your child get back to class. This is a public-interest task: preventing early school leaving. The information is used for nothing else. It is never sold.

Who can see it?
The school, the community centre that follows your child, and the partnership's coordinators, who do not see your child's name. Every look at the file is recorded.

For how long?
When the follow-up ends, the file is kept for {retention_months} months. After that, the name, address and notes are erased.

Your rights
You can ask to see this information, to correct it or to erase it, or refuse this follow-up. Ask the school or the community centre, or write to the data protection officer: {dpo}. We answer within one month. You can also complain to the CNIL, the French data protection authority (www.cnil.fr).

File reference: {reference}
""",
    "ar": """معلومات للعائلات

السيدة، السيد،

لاحظت مؤسسة {college} أن طفلكم لم يعد يحضر إلى القسم، أو لا يحضر بانتظام. لمساعدته على العودة إلى المدرسة، أحالت الإعدادية وضعيته إلى المركز الاجتماعي {centre}. يمكن للمركز الاجتماعي أن يقترح عليكم لقاءً، أو مساعدة في الواجبات المدرسية، أو حاسوبًا. تشرح لكم هذه الرسالة ما نفعله بالمعلومات المتعلقة بطفلكم.

من هو المسؤول؟
{publisher}. تُحفظ المعلومات في «رادار»، وهي أداة مشتركة بين الإعدادية والمركز الاجتماعي ومنسقي الشراكة.

ما هي المعلومات؟
- اسم طفلكم وتاريخ ميلاده وقسمه وعنوانه؛
- معلومات الاتصال بكم: الاسم، الهاتف، البريد الإلكتروني، اللغة المستعملة في البيت؛
- الغيابات التي أبلغت عنها الإعدادية؛
- مواعيد المركز الاجتماعي ومكالماته وزياراته، والمساعدة المقترحة.
تأتي هذه المعلومات من الإعدادية ومن تواصلكم مع المركز الاجتماعي.

لماذا؟
فقط لمساعدة طفلكم على العودة إلى القسم. إنها مهمة للمصلحة العامة: مكافحة الانقطاع المدرسي. لا تُستعمل المعلومات لأي غرض آخر، ولا تُباع أبدًا.

من يمكنه الاطلاع عليها؟
الإعدادية، والمركز الاجتماعي الذي يتابع طفلكم، ومنسقو الشراكة الذين لا يرون اسمه. كل اطلاع على الملف يُسجَّل.

لأي مدة؟
عند انتهاء المتابعة، يُحفظ الملف لمدة {retention_months} شهرًا. بعد ذلك، يُمحى الاسم والعنوان والملاحظات.

حقوقكم
يمكنكم طلب الاطلاع على هذه المعلومات، أو تصحيحها، أو محوها، أو رفض هذه المتابعة. توجهوا إلى الإعدادية أو إلى المركز الاجتماعي، أو اكتبوا إلى مندوب حماية البيانات: {dpo}. نجيبكم في أجل شهر واحد. يمكنكم أيضًا تقديم شكوى إلى اللجنة الوطنية للمعلوماتية والحريات CNIL ‏(www.cnil.fr).

مرجع الملف: {reference}
""",
    "tr": """Ailelere bilgilendirme

Sayın veli,

{college} ortaokulu, çocuğunuzun artık derslere gelmediğini ya da düzenli gelmediğini fark etti. Çocuğunuzun okula dönmesine yardımcı olmak için okul, durumunu {centre} sosyal merkezine iletti. Sosyal merkez size bir görüşme, ödevlere yardım veya bir bilgisayar önerebilir. Bu mektup, çocuğunuzla ilgili bilgileri ne yaptığımızı açıklıyor.

Sorumlu kim?
{publisher}. Bilgiler, okul, sosyal merkez ve ortaklığın koordinatörleri tarafından ortak kullanılan Radar adlı bir araçta saklanır.

Hangi bilgiler?
- çocuğunuzun adı, doğum tarihi, sınıfı ve adresi;
- iletişim bilgileriniz: ad, telefon, e-posta, evde konuşulan dil;
- okulun bildirdiği devamsızlıklar;
- sosyal merkezin randevuları, aramaları ve ziyaretleri ile önerilen yardım.
Bu bilgiler okuldan ve sosyal merkezle görüşmelerinizden gelir.

Neden?
Yalnızca çocuğunuzun derslere dönmesine yardım etmek için. Bu bir kamu yararı görevidir: okul terkiyle mücadele. Bilgiler başka hiçbir şey için kullanılmaz. Asla satılmaz.

Kimler görebilir?
Okul, çocuğunuzu takip eden sosyal merkez ve çocuğunuzun adını görmeyen ortaklık koordinatörleri. Dosyaya yapılan her bakış kaydedilir.

Ne kadar süre?
Takip bittiğinde dosya {retention_months} ay saklanır. Sonra ad, adres ve notlar silinir.

Haklarınız
Bu bilgileri görmeyi, düzeltilmesini veya silinmesini isteyebilir ya da bu takibi reddedebilirsiniz. Okula veya sosyal merkeze başvurun ya da veri koruma görevlisine yazın: {dpo}. Bir ay içinde yanıt veririz. Fransız veri koruma kurumu CNIL'e de şikâyette bulunabilirsiniz (www.cnil.fr).

Dosya numarası: {reference}
""",
    "pt": """Informação às famílias

Exma. Senhora, Exmo. Senhor,

A escola {college} reparou que o seu filho ou a sua filha deixou de vir às aulas, ou não vem com regularidade. Para ajudar a criança a voltar à escola, o colégio confiou a sua situação ao centro social {centre}. O centro social pode propor-lhe um encontro, apoio aos trabalhos de casa ou um computador. Esta carta explica o que fazemos com as informações sobre a criança.

Quem é o responsável?
{publisher}. As informações são guardadas no Radar, uma ferramenta partilhada pelo colégio, pelo centro social e pelos coordenadores da parceria.

Que informações?
- o nome, a data de nascimento, a turma e a morada da criança;
- os seus contactos: nome, telefone, e-mail, língua falada em casa;
- as faltas comunicadas pelo colégio;
- os encontros, chamadas e visitas do centro social, e a ajuda proposta.
Estas informações vêm do colégio e dos seus contactos com o centro social.

Porquê?
Apenas para ajudar a criança a voltar às aulas. É uma missão de interesse público: a luta contra o abandono escolar. As informações não servem para mais nada. Nunca são vendidas.

Quem as pode ver?
O colégio, o centro social que acompanha a criança e os coordenadores da parceria, que não veem o seu nome. Cada consulta do processo fica registada.

Durante quanto tempo?
Quando o acompanhamento termina, o processo é guardado durante {retention_months} meses. Depois, o nome, a morada e as notas são apagados.

Os seus direitos
Pode pedir para ver estas informações, corrigi-las ou apagá-las, ou recusar este acompanhamento. Dirija-se ao colégio ou ao centro social, ou escreva ao encarregado da proteção de dados: {dpo}. Respondemos no prazo de um mês. Pode também apresentar queixa à CNIL, a autoridade francesa de proteção de dados (www.cnil.fr).

Referência do processo: {reference}
""",
    "es": """Información para las familias

Señora, señor:

El centro escolar {college} ha notado que su hijo o su hija ya no viene a clase, o no viene con regularidad. Para ayudarle a volver a la escuela, el colegio ha confiado su situación al centro social {centre}. El centro social puede proponerle un encuentro, ayuda con los deberes o un ordenador. Esta carta le explica lo que hacemos con la información sobre su hijo o su hija.

¿Quién es el responsable?
{publisher}. La información se guarda en Radar, una herramienta compartida por el colegio, el centro social y los coordinadores de la colaboración.

¿Qué información?
- el nombre, la fecha de nacimiento, la clase y la dirección de su hijo o su hija;
- sus datos de contacto: nombre, teléfono, correo electrónico, idioma que se habla en casa;
- las ausencias señaladas por el colegio;
- las citas, llamadas y visitas del centro social, y la ayuda propuesta.
Esta información viene del colegio y de sus contactos con el centro social.

¿Para qué?
Solo para ayudar a su hijo o su hija a volver a clase. Es una misión de interés público: la lucha contra el abandono escolar. La información no sirve para nada más. Nunca se vende.

¿Quién puede verla?
El colegio, el centro social que acompaña a su hijo o su hija, y los coordinadores de la colaboración, que no ven su nombre. Cada consulta del expediente queda registrada.

¿Durante cuánto tiempo?
Cuando termina el acompañamiento, el expediente se guarda {retention_months} meses. Después, se borran el nombre, la dirección y las notas.

Sus derechos
Puede pedir ver esta información, corregirla o borrarla, o rechazar este acompañamiento. Diríjase al colegio o al centro social, o escriba al delegado de protección de datos: {dpo}. Le respondemos en el plazo de un mes. También puede presentar una reclamación ante la CNIL, la autoridad francesa de protección de datos (www.cnil.fr).

Referencia del expediente: {reference}
""",
    "ro": """Informare pentru familii

Stimată doamnă, stimate domn,

Școala {college} a observat că copilul dumneavoastră nu mai vine la ore sau nu vine regulat. Pentru a-l ajuta să se întoarcă la școală, colegiul a încredințat situația lui centrului social {centre}. Centrul social vă poate propune o întâlnire, ajutor la teme sau un calculator. Această scrisoare vă explică ce facem cu informațiile despre copilul dumneavoastră.

Cine este responsabil?
{publisher}. Informațiile sunt păstrate în Radar, un instrument folosit în comun de colegiu, de centrul social și de coordonatorii parteneriatului.

Ce informații?
- numele, data nașterii, clasa și adresa copilului;
- datele dumneavoastră de contact: nume, telefon, e-mail, limba vorbită acasă;
- absențele semnalate de colegiu;
- întâlnirile, apelurile și vizitele centrului social și ajutorul propus.
Aceste informații vin de la colegiu și din discuțiile dumneavoastră cu centrul social.

De ce?
Doar pentru a ajuta copilul să revină la ore. Este o misiune de interes public: combaterea abandonului școlar. Informațiile nu sunt folosite pentru nimic altceva. Nu sunt vândute niciodată.

Cine le poate vedea?
Colegiul, centrul social care îl urmărește pe copil și coordonatorii parteneriatului, care nu îi văd numele. Fiecare consultare a dosarului este înregistrată.

Cât timp?
Când urmărirea se încheie, dosarul este păstrat {retention_months} luni. Apoi numele, adresa și notele sunt șterse.

Drepturile dumneavoastră
Puteți cere să vedeți aceste informații, să fie corectate sau șterse, ori puteți refuza această urmărire. Adresați-vă colegiului sau centrului social ori scrieți responsabilului cu protecția datelor: {dpo}. Vă răspundem în termen de o lună. Puteți depune și o plângere la CNIL, autoritatea franceză pentru protecția datelor (www.cnil.fr).

Referința dosarului: {reference}
""",
    "prs": """معلومات برای خانواده‌ها

خانم محترم، آقای محترم،

مکتب {college} متوجه شده است که فرزند شما دیگر به صنف نمی‌آید، یا به طور منظم نمی‌آید. برای کمک به بازگشت او به مکتب، مکتب وضعیت او را به مرکز اجتماعی {centre} سپرده است. مرکز اجتماعی می‌تواند به شما یک ملاقات، کمک در کارخانگی یا یک کمپیوتر پیشنهاد کند. این نامه توضیح می‌دهد که ما با معلومات مربوط به فرزند شما چه می‌کنیم.

مسئول کیست؟
{publisher}. معلومات در «رادار» نگهداری می‌شود، ابزاری که مکتب، مرکز اجتماعی و هماهنگ‌کنندگان همکاری به طور مشترک از آن استفاده می‌کنند.

کدام معلومات؟
- نام، تاریخ تولد، صنف و آدرس فرزند شما؛
- معلومات تماس شما: نام، تیلفون، ایمیل، زبانی که در خانه صحبت می‌شود؛
- غیرحاضری‌هایی که مکتب گزارش داده است؛
- ملاقات‌ها، تماس‌ها و بازدیدهای مرکز اجتماعی و کمک پیشنهادشده.
این معلومات از مکتب و از تماس‌های شما با مرکز اجتماعی به دست می‌آید.

چرا؟
فقط برای کمک به بازگشت فرزند شما به صنف. این یک وظیفهٔ منفعت عامه است: مبارزه با ترک مکتب. این معلومات برای هیچ کار دیگری استفاده نمی‌شود و هرگز فروخته نمی‌شود.

چه کسی می‌تواند آن را ببیند؟
مکتب، مرکز اجتماعی که فرزند شما را پیگیری می‌کند، و هماهنگ‌کنندگان همکاری که نام او را نمی‌بینند. هر بار دیدن پرونده ثبت می‌شود.

برای چه مدت؟
وقتی پیگیری تمام شود، پرونده {retention_months} ماه نگهداری می‌شود. پس از آن، نام، آدرس و یادداشت‌ها پاک می‌شوند.

حقوق شما
شما می‌توانید درخواست کنید این معلومات را ببینید، آن را اصلاح یا پاک کنید، یا این پیگیری را نپذیرید. به مکتب یا مرکز اجتماعی مراجعه کنید، یا به مسئول حفاظت از معلومات بنویسید: {dpo}. ما در مدت یک ماه پاسخ می‌دهیم. شما همچنین می‌توانید به CNIL، نهاد فرانسوی حفاظت از معلومات، شکایت کنید (www.cnil.fr).

شمارهٔ پرونده: {reference}
""",
}


def seed(apps, schema_editor):
    FamilyNoticeText = apps.get_model("outreach", "FamilyNoticeText")
    now = timezone.now()
    for language, text in TEXTS.items():
        FamilyNoticeText.objects.get_or_create(language=language, defaults={"text": text, "updated_at": now})


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0009_privacyb_family_notice_texts"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
