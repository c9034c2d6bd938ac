"""The open demo call (C01) in the programme's other languages, as an officer would give them."""
from grants.models import CallText
from grants.services import call_text_set

C01 = {
    "fr": (
        "Assistance directe des OSC aux victimes de la traite et aux migrants objet d'un trafic illicite",
        "Subventions aux organisations de la société civile qui identifient, orientent, hébergent et assistent les "
        "victimes de la traite des personnes et les migrants objet d'un trafic illicite, en particulier les enfants, "
        "dans les 13 pays de GLO.ACT.",
        "Les demandeurs doivent être des organisations de la société civile à but non lucratif, enregistrées depuis au "
        "moins deux ans dans l'un des 13 pays de GLO.ACT, et directement chargées de préparer et de gérer l'action. "
        "L'action se déroule dans un ou plusieurs pays du programme et dure de 12 à 24 mois. Les coûts éligibles sont "
        "ceux réellement encourus par le demandeur pendant la mise en œuvre, identifiables, vérifiables et nécessaires "
        "à l'action ; les coûts indirects ne peuvent dépasser 7 % des coûts directs éligibles et la réserve pour "
        "imprévus 5 %. Le demandeur cofinance au moins 5 % des coûts éligibles totaux sur ses ressources propres ou "
        "celles de tiers.",
    ),
    "es": (
        "Asistencia directa de las OSC a víctimas de trata y a migrantes objeto de tráfico ilícito",
        "Subvenciones a organizaciones de la sociedad civil que identifican, derivan, alojan y asisten a víctimas de "
        "trata de personas y a migrantes objeto de tráfico ilícito, en especial niñas y niños, en los 13 países de "
        "GLO.ACT.",
        "Los solicitantes deben ser organizaciones de la sociedad civil sin ánimo de lucro, registradas desde hace al "
        "menos dos años en uno de los 13 países de GLO.ACT y directamente responsables de preparar y gestionar la "
        "acción. La acción se desarrolla en uno o varios países del programa y dura de 12 a 24 meses. Los costes "
        "indirectos no pueden superar el 7 % de los costes directos subvencionables y la reserva para imprevistos el "
        "5 %. El solicitante cofinancia al menos el 5 % de los costes subvencionables totales.",
    ),
    "ru": (
        "Прямая помощь ОГО жертвам торговли людьми и незаконно ввезённым мигрантам",
        "Гранты организациям гражданского общества, которые выявляют, направляют, размещают в приютах и поддерживают "
        "жертв торговли людьми и незаконно ввезённых мигрантов, особенно детей, в 13 странах GLO.ACT.",
        "Заявителями могут быть некоммерческие организации гражданского общества, зарегистрированные не менее двух лет "
        "в одной из 13 стран GLO.ACT и непосредственно отвечающие за подготовку и реализацию проекта. Проект "
        "выполняется в одной или нескольких странах программы и длится от 12 до 24 месяцев. Косвенные расходы не "
        "превышают 7 % прямых приемлемых расходов, резерв на непредвиденные расходы — 5 %. Заявитель софинансирует не "
        "менее 5 % общих приемлемых расходов.",
    ),
    "pt": (
        "Assistência direta das OSC às vítimas de tráfico de seres humanos e aos migrantes objeto de introdução clandestina",
        "Subvenções a organizações da sociedade civil que identificam, encaminham, acolhem e assistem vítimas de tráfico "
        "de seres humanos e migrantes objeto de introdução clandestina, sobretudo crianças, nos 13 países do GLO.ACT.",
        "Os requerentes devem ser organizações da sociedade civil sem fins lucrativos, registadas há pelo menos dois anos "
        "num dos 13 países do GLO.ACT e diretamente responsáveis pela preparação e gestão da ação. A ação decorre num ou "
        "mais países do programa e dura de 12 a 24 meses. Os custos indiretos não podem exceder 7 % dos custos diretos "
        "elegíveis e a reserva para imprevistos 5 %. O requerente cofinancia pelo menos 5 % dos custos elegíveis totais.",
    ),
    "ar": (
        "المساعدة المباشرة من منظمات المجتمع المدني لضحايا الاتجار بالأشخاص والمهاجرين المهرَّبين",
        "منح لمنظمات المجتمع المدني التي تحدد ضحايا الاتجار بالأشخاص والمهاجرين المهرَّبين، ولا سيما الأطفال، "
        "وتحيلهم وتؤويهم وتساعدهم في البلدان الثلاثة عشر لبرنامج GLO.ACT.",
        "يجب أن يكون مقدمو الطلبات منظمات مجتمع مدني غير ربحية مسجلة منذ سنتين على الأقل في أحد بلدان GLO.ACT الثلاثة "
        "عشر، ومسؤولة مباشرة عن إعداد المشروع وإدارته. يُنفَّذ المشروع في بلد أو أكثر من بلدان البرنامج ويستمر من 12 إلى "
        "24 شهرًا. لا تتجاوز التكاليف غير المباشرة 7٪ من التكاليف المباشرة المؤهلة، ولا يتجاوز احتياطي الطوارئ 5٪. "
        "يشارك مقدم الطلب في تمويل 5٪ على الأقل من إجمالي التكاليف المؤهلة.",
    ),
}


def seed_call_texts(*, call, actor, say):
    """Idempotent: languages the call already has are left as they are."""
    have = set(CallText.objects.filter(call=call).values_list("language", flat=True))
    added = []
    for language, (title, description, eligibility) in C01.items():
        if language not in have:
            call_text_set(actor=actor, call=call, language=language, title=title, description=description, eligibility=eligibility)
            added.append(language)
    if added:
        say(f"gave call {call.reference} in {', '.join(added)}")
